"""While a service moves up, everything of the old tier that holds data outlives ``finish``.

``finish`` deletes the old tier's resources from the stack; CloudFormation then applies the
deletion policy they were last deployed with. A development Lambda service's table, bucket and
queue are created with ``Delete`` (nothing is retained outside production), so without this they
would be deleted with the tier.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from stagelift.config import LambdaServiceConfig
from stagelift.constructs.lambda_service import LambdaService
from stagelift.service_app import retain_state
from stagelift.stateful import STATEFUL_TYPES


def test_the_old_tiers_data_stores_keys_and_logs_are_retained() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Orders", env=cdk.Environment(region="us-east-1"))
    config = LambdaServiceConfig(service_name="orders", enable_table=True, enable_bucket=True, enable_queue=True)
    service = LambdaService(stack, "Service", config=config, code=lambda_.Code.from_inline("def handle(e, c): pass"), handler="index.handle")
    retain_state(service)
    resources = Template.from_stack(stack).to_json()["Resources"]

    stateful = {k: v for k, v in resources.items() if v["Type"] in STATEFUL_TYPES}
    kinds = {v["Type"] for v in stateful.values()}
    assert {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::Logs::LogGroup"} <= kinds
    assert {k: v.get("DeletionPolicy") for k, v in stateful.items() if v.get("DeletionPolicy") != "Retain"} == {}
    # Only data is kept: the function itself goes with the tier.
    functions = [v for v in resources.values() if v["Type"] == "AWS::Lambda::Function"]
    assert functions and all(v.get("DeletionPolicy") != "Retain" for v in functions)
