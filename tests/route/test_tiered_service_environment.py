"""A Lambda service moving to Fargate on a real ServiceEnvironmentImport: every value read from SSM at deploy time."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from stagelift.checks import cfn_lint_findings, nag_findings
from stagelift.config import FargateServiceConfig, LambdaServiceConfig, TierMigration
from stagelift.constructs import FargateService, LambdaService, ServiceEnvironmentImport, TieredService
from stagelift.constructs.tiered_service import weighted_targets
from stagelift.parameters import EnvironmentParameter, environment_parameter
from tests.conftest import new_app
from tests.route.environment import ENV


@dataclass
class Synth:
    stack: cdk.Stack
    template: Template
    environment: ServiceEnvironmentImport
    lambda_service: LambdaService
    fargate: FargateService


@pytest.fixture(scope="module")
def synth() -> Synth:
    stack = cdk.Stack(new_app(), "Orders", env=ENV)
    environment = ServiceEnvironmentImport(stack, "Environment", environment="development", name="shared")
    lambda_service = LambdaService(
        stack,
        "Lambda",
        config=LambdaServiceConfig(service_name="orders"),
        code=lambda_.Code.from_inline("def handle(event, context):\n    return {}\n"),
        handler="index.handle",
        load_balancer_target=True,
    )
    fargate = FargateService(
        stack,
        "Fargate",
        config=FargateServiceConfig(service_name="orders", fargate_spot=False),
        image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"),
        vpc=environment.vpc,
        cluster=environment.cluster,
        shared_listener=environment.listener,
        shared_load_balancer_security_group=environment.load_balancer_security_group,
    )
    assert lambda_service.target_group is not None
    migration = TierMigration.from_json('{"fromTier": "lambda", "toTier": "fargate", "weight": 25}')
    TieredService(
        stack,
        "FrontDoor",
        environment=environment,
        service_name="orders",
        targets=weighted_targets({"lambda": lambda_service.target_group, "fargate": fargate.target_group}, migration),
    )
    return Synth(stack, Template.from_stack(stack), environment, lambda_service, fargate)


def parameter(synth: Synth, key: EnvironmentParameter) -> dict[str, str]:
    """The template parameter that holds one SSM value (``{"Ref": ...}``)."""
    name = environment_parameter("development", "shared", key)
    (logical_id,) = [k for k, p in synth.template.to_json()["Parameters"].items() if p.get("Default") == name]
    return {"Ref": logical_id}


def test_the_rule_sits_on_the_environment_listener_with_the_migration_weights(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        {
            "ListenerArn": parameter(synth, EnvironmentParameter.LISTENER_ARN),
            "Actions": [
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": synth.stack.resolve(synth.lambda_service.target_group.target_group_arn), "Weight": 75},  # type: ignore[union-attr]
                            {"TargetGroupArn": synth.stack.resolve(synth.fargate.target_group.target_group_arn), "Weight": 25},
                        ]
                    },
                }
            ],
            "Conditions": [{"Field": "host-header", "HostHeaderConfig": {"Values": [{"Fn::Join": ["", ["orders.", parameter(synth, EnvironmentParameter.DOMAIN_NAME)]]}]}}],
        },
    )


def test_the_alias_record_points_at_the_environment_load_balancer(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::Route53::RecordSet",
        {
            "HostedZoneId": parameter(synth, EnvironmentParameter.HOSTED_ZONE_ID),
            "Name": {"Fn::Join": ["", ["orders.", parameter(synth, EnvironmentParameter.DOMAIN_NAME), "."]]},
            "AliasTarget": {
                "DNSName": {"Fn::Join": ["", ["dualstack.", parameter(synth, EnvironmentParameter.LOAD_BALANCER_DNS_NAME)]]},
                "HostedZoneId": parameter(synth, EnvironmentParameter.LOAD_BALANCER_HOSTED_ZONE_ID),
            },
        },
    )


def test_the_tasks_admit_the_environment_load_balancer(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": synth.stack.resolve(synth.fargate.security_group.security_group_id),
            "SourceSecurityGroupId": parameter(synth, EnvironmentParameter.LOAD_BALANCER_SECURITY_GROUP_ID),
            "FromPort": 8080,
            "ToPort": 8080,
        },
    )
    # The shared group is the environment's: a service adds no rule to it.
    synth.template.resource_count_is("AWS::EC2::SecurityGroupEgress", 0)


def test_the_alarms_name_the_environment_load_balancer_from_its_listener(synth: Synth) -> None:
    listener = parameter(synth, EnvironmentParameter.LISTENER_ARN)
    synth.template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "TargetConnectionErrorCount",
            "Dimensions": Match.array_with(
                [Match.object_like({"Name": "LoadBalancer", "Value": {"Fn::Join": ["", Match.array_with([{"Fn::Select": [1, {"Fn::Split": ["/", listener]}]}])]}})]
            ),
        },
    )


def test_cdk_nag_and_cfn_lint_find_nothing(synth: Synth) -> None:
    assert [str(f) for f in nag_findings(synth.stack)] == []
    assert cfn_lint_findings(synth.template.to_json()) == []


def test_a_lambda_only_service_reads_no_security_group_it_never_uses() -> None:
    # The first step of every move up: the function's target group alone at 100 %. The load
    # balancer invokes Lambda without a network connection, so the security group's parameter
    # would be unused (cfn-lint W2001) if the listener were imported with it.
    stack = cdk.Stack(new_app(), "OrdersOnLambda", env=ENV)
    environment = ServiceEnvironmentImport(stack, "Environment", environment="development", name="shared")
    function = LambdaService(
        stack,
        "Lambda",
        config=LambdaServiceConfig(service_name="orders"),
        code=lambda_.Code.from_inline("def handle(event, context):\n    return {}\n"),
        handler="index.handle",
        load_balancer_target=True,
    )
    assert function.target_group is not None
    TieredService(stack, "FrontDoor", environment=environment, service_name="orders", targets=weighted_targets({"lambda": function.target_group}))
    template = Template.from_stack(stack)
    defaults = [p.get("Default") for p in template.to_json()["Parameters"].values()]
    assert environment_parameter("development", "shared", EnvironmentParameter.LOAD_BALANCER_SECURITY_GROUP_ID) not in defaults
    assert environment_parameter("development", "shared", EnvironmentParameter.LISTENER_ARN) in defaults
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::ListenerRule", {"Actions": [Match.object_like({"ForwardConfig": {"TargetGroups": [Match.object_like({"Weight": 100})]}})]})
    assert cfn_lint_findings(template.to_json()) == []
    assert [str(f) for f in nag_findings(stack)] == []
