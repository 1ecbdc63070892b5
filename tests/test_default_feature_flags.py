"""stagelift's constructs in a user's app with aws-cdk-lib's default feature flags (an empty cdk.json).

This repository's cdk.json turns on recent flags; a library construct may not depend on them. The
first case failed before SecureBucket set the access-log flag on its own subtree: aws-cdk-lib then
granted log delivery with the LogDeliveryWrite ACL, which an ACL-less bucket refuses at synth
("objectOwnership must be set to ObjectWriter when accessControl is LogDeliveryWrite").
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from stagelift.config import FargateServiceConfig, LambdaServiceConfig, load_portal_config, validate
from stagelift.constructs import FargateService, LambdaService, SecureBucket
from stagelift.stacks.portal_stack import PortalStack

# Nothing from this repository's cdk.json: only asset bundling is skipped, as in every test.
DEFAULT_FLAGS_CONTEXT = {"aws:cdk:bundling-stacks": []}


def default_flags_app() -> cdk.App:
    return cdk.App(context=DEFAULT_FLAGS_CONTEXT)


def test_secure_buckets_log_to_each_other_through_a_bucket_policy() -> None:
    stack = cdk.Stack(default_flags_app(), "Buckets")
    logs = SecureBucket(stack, "Logs", retain=False)
    SecureBucket(stack, "Data", retain=False, access_log_bucket=logs.bucket)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": stack.get_logical_id(logs.bucket.node.default_child)},  # type: ignore[arg-type]
            "PolicyDocument": {"Statement": Match.array_with([Match.object_like({"Action": "s3:PutObject", "Principal": {"Service": "logging.s3.amazonaws.com"}})])},
        },
    )
    assert not template.find_resources("AWS::S3::Bucket", {"Properties": {"AccessControl": Match.any_value()}})


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_portal_synthesizes_with_default_flags(environment: str) -> None:
    dns = {} if environment == "development" else {"domainName": "backstage.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}
    app = default_flags_app()
    stack = PortalStack(app, config=load_portal_config({"environment": environment, "imageTag": "v1", **dns}))
    Template.from_stack(stack).resource_count_is("AWS::ECS::Service", 1)


def test_the_tiers_synthesize_with_default_flags() -> None:
    app = default_flags_app()
    lambda_stack = cdk.Stack(app, "Lambda")
    config = validate(LambdaServiceConfig, {"serviceName": "orders", "owner": "payments", "enableBucket": True, "enableQueue": True}, "test")
    LambdaService(lambda_stack, "Service", config=config, code=lambda_.Code.from_inline("def handle(e, c):\n    return {}\n"), handler="index.handle")
    fargate_stack = cdk.Stack(app, "Fargate", env=cdk.Environment(region="eu-west-1"))
    fargate = validate(FargateServiceConfig, {"serviceName": "web", "owner": "payments", "database": "postgres"}, "test")
    FargateService(fargate_stack, "Service", config=fargate, image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"))
    Template.from_stack(lambda_stack).resource_count_is("AWS::Lambda::Function", 1)
    Template.from_stack(fargate_stack).resource_count_is("AWS::ECS::Service", 1)
