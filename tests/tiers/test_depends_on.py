"""No DependsOn that a Ref or GetAtt already implies (cfn-lint W3005), and none of the needed ones lost.

aws-cdk-lib's lambda.Function depends on its whole role and ecs.BaseService on the whole listener;
stagelift.constructs.dependencies renders DependsOn without the resource the properties reference.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from stagelift.checks import cfn_lint_findings
from stagelift.config import FargateServiceConfig, LambdaServiceConfig, validate
from stagelift.constructs import FargateService, LambdaService
from tests.conftest import new_app


def logical_id(template: Template, resource_type: str, like: str = "") -> str:
    (found,) = [k for k in template.find_resources(resource_type) if like in k]
    return found


@pytest.fixture(scope="module")
def lambda_template() -> Template:
    stack = cdk.Stack(new_app(), "Lambda", env=cdk.Environment(region="us-east-1"))
    config = validate(LambdaServiceConfig, {"serviceName": "orders", "owner": "payments"}, "test")
    LambdaService(stack, "Service", config=config, code=lambda_.Code.from_inline("def handle(e, c):\n    return {}\n"), handler="index.handle")
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def fargate_template() -> Template:
    stack = cdk.Stack(new_app(), "Fargate", env=cdk.Environment(region="us-east-1"))
    config = validate(FargateServiceConfig, {"serviceName": "web", "owner": "payments"}, "test")
    FargateService(stack, "Service", config=config, image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"))
    return Template.from_stack(stack)


def test_lambda_function_waits_for_its_policy_not_for_the_role_it_references(lambda_template: Template) -> None:
    function = lambda_template.find_resources("AWS::Lambda::Function")[logical_id(lambda_template, "AWS::Lambda::Function")]
    role = logical_id(lambda_template, "AWS::IAM::Role", "ServiceRole")
    policy = logical_id(lambda_template, "AWS::IAM::Policy", "DefaultPolicy")
    assert function["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    assert function["DependsOn"] == [policy]


def test_fargate_service_waits_for_the_listener_not_for_the_target_group_it_references(fargate_template: Template) -> None:
    service = fargate_template.find_resources("AWS::ECS::Service")[logical_id(fargate_template, "AWS::ECS::Service")]
    group = logical_id(fargate_template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    listener = logical_id(fargate_template, "AWS::ElasticLoadBalancingV2::Listener")
    assert service["Properties"]["LoadBalancers"][0]["TargetGroupArn"] == {"Ref": group}
    assert listener in service["DependsOn"]
    assert group not in service["DependsOn"]


@pytest.mark.parametrize("name", ["lambda_template", "fargate_template"])
def test_cfn_lint_finds_no_redundant_dependency(name: str, request: pytest.FixtureRequest) -> None:
    template: Template = request.getfixturevalue(name)
    assert [f for f in cfn_lint_findings(template.to_json()) if f.startswith("W3005")] == []
