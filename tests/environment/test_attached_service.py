"""A service stack on a service environment as a service repository builds it: everything read through
``ServiceEnvironmentImport``, a Lambda and a Fargate tier behind one weighted host rule (``TieredService``)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from stagelift.checks import cfn_lint_findings, nag_findings
from stagelift.config import FargateServiceConfig, LambdaServiceConfig, validate
from stagelift.config.migration import TierMigration
from stagelift.constructs import FargateService, LambdaService, ServiceEnvironmentImport, TieredService
from stagelift.constructs.tiered_service import weighted_targets
from stagelift.parameters import EnvironmentParameter, environment_parameter
from stagelift.zones import DeployTimeZonesStack
from tests.conftest import REPO_ROOT, new_app


@pytest.fixture(scope="module")
def stack() -> DeployTimeZonesStack:
    app = new_app()
    stack = DeployTimeZonesStack(app, "Orders", env=cdk.Environment(region="eu-west-1"))
    env = ServiceEnvironmentImport(stack, "Environment", environment="development", name="shared")
    # Development defaults: Spot, on the environment's (imported) cluster, which has the FARGATE_SPOT provider.
    fargate = FargateService(
        stack,
        "Fargate",
        config=validate(FargateServiceConfig, {"serviceName": "orders"}, "fargate"),
        image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"),
        vpc=env.vpc,
        cluster=env.cluster,
        shared_listener=env.listener,
        shared_load_balancer_security_group=env.load_balancer_security_group,
    )
    function = LambdaService(
        stack,
        "Lambda",
        config=validate(LambdaServiceConfig, {"serviceName": "orders"}, "lambda"),
        code=lambda_.Code.from_asset(str(REPO_ROOT / "examples" / "lambda_service" / "handler")),
        handler="app.handler",
        load_balancer_target=True,
    )
    assert fargate.target_group is not None and function.target_group is not None
    migration = TierMigration(from_tier="lambda", to_tier="fargate", weight=10)
    TieredService(stack, "Front", environment=env, service_name="orders", targets=weighted_targets({"lambda": function.target_group, "fargate": fargate.target_group}, migration))
    app.synth()
    return stack


def test_reads_only_the_parameters_it_uses(stack: DeployTimeZonesStack) -> None:
    template = Template.from_stack(stack).to_json()
    names = {p["Default"] for p in template["Parameters"].values() if str(p.get("Default", "")).startswith("/stagelift/")}
    used = {
        EnvironmentParameter.VPC_ID,
        EnvironmentParameter.PRIVATE_SUBNET_IDS,
        EnvironmentParameter.CLUSTER_NAME,
        EnvironmentParameter.LISTENER_ARN,
        EnvironmentParameter.LOAD_BALANCER_SECURITY_GROUP_ID,
        EnvironmentParameter.DOMAIN_NAME,
        EnvironmentParameter.HOSTED_ZONE_ID,
        EnvironmentParameter.LOAD_BALANCER_DNS_NAME,
        EnvironmentParameter.LOAD_BALANCER_HOSTED_ZONE_ID,
    }
    assert names == {environment_parameter("development", "shared", key) for key in used}
    # One weighted host rule on the shared listener, no load balancer of the service's own.
    assert [r["Type"] for r in template["Resources"].values() if r["Type"].startswith("AWS::ElasticLoadBalancingV2::")].count("AWS::ElasticLoadBalancingV2::LoadBalancer") == 0


def test_cdk_nag_and_cfn_lint_clean(stack: DeployTimeZonesStack) -> None:
    assert nag_findings(stack) == []
    assert cfn_lint_findings(Template.from_stack(stack).to_json(), regions=("eu-west-1",)) == []


def test_fargate_tier_runs_on_the_environments_spot_provider(stack: DeployTimeZonesStack) -> None:
    # Refused before ("fargateSpot ... needs Fargate capacity providers, which an imported cluster cannot be given here").
    Template.from_stack(stack).has_resource_properties("AWS::ECS::Service", {"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]})
