"""CDK app of {{ cookiecutter.service_name }}: the stagelift LambdaService with the answers given at creation.

`cdk synth` / `cdk deploy` from this folder, or `python app.py` (writes to $CDK_OUTDIR or a
temporary folder). Synthesis needs no AWS credentials. cdk-nag's AwsSolutions pack runs on every
synth: an unacknowledged finding fails it.
"""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import LambdaServiceConfig, validate
from stagelift.constructs.lambda_service import LambdaService

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
REGION = "{{ cookiecutter.aws_region }}"
# Known before deploy, so the catalog (aws.com/lambda-function-name) can point at it.
FUNCTION_NAME = "{{ cookiecutter.service_name }}-{{ cookiecutter.environment }}"

CONFIG = validate(
    LambdaServiceConfig,
    {
        "service_name": "{{ cookiecutter.service_name }}",
        "owner": "{{ cookiecutter.owner }}",
{%- if cookiecutter.system %}
        "system": "{{ cookiecutter.system }}",
{%- endif %}
        "environment": "{{ cookiecutter.environment }}",
        "log_retention_days": {{ cookiecutter.log_retention_days }},
{%- if cookiecutter.alarm_email %}
        "alarm_email": "{{ cookiecutter.alarm_email }}",
{%- endif %}
        "runtime": "{{ cookiecutter.runtime }}",
        "architecture": "{{ cookiecutter.architecture }}",
        "memory_mib": {{ cookiecutter.memory_mib }},
        "timeout_seconds": {{ cookiecutter.timeout_seconds }},
{%- if cookiecutter.reserved_concurrency %}
        "reserved_concurrency": {{ cookiecutter.reserved_concurrency }},
{%- endif %}
        "tracing": {{ cookiecutter.tracing }},
        "enable_table": {{ cookiecutter.enable_table }},
        "enable_queue": {{ cookiecutter.enable_queue }},
        "enable_bucket": {{ cookiecutter.enable_bucket }},
{%- if cookiecutter.schedule_expression %}
        "schedule_expression": "{{ cookiecutter.schedule_expression }}",
{%- endif %}
    },
    "{{ cookiecutter.service_name }} configuration",
)


def build(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(
        app,
        "{{ cookiecutter.service_name }}",
        # Account from the CLI's credentials when there are some; synthesis works without.
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=REGION),
        description="{{ cookiecutter.description }}",
    )
    service = LambdaService(
        stack,
        "Service",
        config=CONFIG,
        code=lambda_.Code.from_asset(str(ROOT / "src"), exclude=["**/__pycache__", "*.pyc"]),
        handler="service.handler.handle",
    )
    function = service.function.node.default_child
    assert isinstance(function, lambda_.CfnFunction)
    function.function_name = FUNCTION_NAME
    cdk.CfnOutput(stack, "FunctionName", value=service.function.function_name)
    if service.api is not None:
        cdk.CfnOutput(stack, "ApiUrl", value=service.api.api_endpoint)
    return stack


def main() -> None:
    app = create_app(INFRA)
    build(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main()
