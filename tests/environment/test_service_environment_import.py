"""ServiceEnvironmentImport: a service's stack reads only the environment parameters it uses, at deploy time."""

from __future__ import annotations

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk.assertions import Match, Template

from stagelift.checks import cfn_lint_findings, nag_findings
from stagelift.constructs import ServiceEnvironmentImport
from stagelift.parameters import EnvironmentParameter, environment_parameter
from tests.conftest import new_app

ENV = cdk.Environment(account="123456789012", region="eu-west-1")


def ssm_parameters(template: Template) -> dict[str, str]:
    """Template parameter default (the SSM name) -> its type, for the environment's parameters."""
    return {p["Default"]: p["Type"] for p in template.to_json().get("Parameters", {}).values() if p["Default"].startswith("/stagelift/")}


def name(key: EnvironmentParameter) -> str:
    return environment_parameter("staging", "shared", key)


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    app = new_app()
    # A service using the listener and the VPC (an IP target group with a host rule).
    full = cdk.Stack(app, "Full", env=ENV)
    env = ServiceEnvironmentImport(full, "Environment", environment="staging", name="shared")
    sg = ec2.SecurityGroup(full, "TaskSecurityGroup", vpc=env.vpc, description="tasks")
    sg.connections.allow_from(env.load_balancer_security_group, ec2.Port.tcp(8080), "the shared load balancer")
    group = elbv2.ApplicationTargetGroup(full, "Targets", vpc=env.vpc, port=8080, protocol=elbv2.ApplicationProtocol.HTTP, target_type=elbv2.TargetType.IP)
    elbv2.ApplicationListenerRule(
        full, "Rule", listener=env.listener, priority=10, conditions=[elbv2.ListenerCondition.host_headers([f"svc.{env.domain_name}"])], target_groups=[group]
    )
    route53.ARecord(
        full,
        "Alias",
        zone=env.hosted_zone,
        record_name="svc",
        target=route53.RecordTarget.from_alias(_Alias(env.load_balancer_dns_name, env.load_balancer_canonical_hosted_zone_id)),
    )
    # Tasks on the shared cluster's Spot provider, in the private subnets, behind the shared listener.
    task = ecs.FargateTaskDefinition(full, "Task", cpu=256, memory_limit_mib=512)
    task.add_container("app", image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"), port_mappings=[ecs.PortMapping(container_port=8080)], logging=ecs.LogDrivers.aws_logs(stream_prefix="app"))
    service = ecs.FargateService(
        full,
        "Service",
        cluster=env.cluster,
        task_definition=task,
        security_groups=[sg],
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        capacity_provider_strategies=[ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)],
        min_healthy_percent=100,
    )
    group.add_target(service)
    # A service that only needs the EKS cluster's name.
    small = cdk.Stack(app, "Small", env=ENV)
    env2 = ServiceEnvironmentImport(small, "Environment", environment="staging", name="shared")
    cdk.CfnWaitConditionHandle(small, "Placeholder")
    cdk.CfnOutput(small, "Eks", value=env2.eks_cluster_name)
    templates = {"full": Template.from_stack(full), "small": Template.from_stack(small)}
    FINDINGS.extend(nag_findings(full))
    return templates


FINDINGS: list[object] = []


@jsii.implements(route53.IAliasRecordTarget)
class _Alias:
    def __init__(self, dns_name: str, zone_id: str) -> None:
        self._target = route53.AliasRecordTargetConfig(dns_name=dns_name, hosted_zone_id=zone_id)

    def bind(self, record: route53.IRecordSet, zone: route53.IHostedZone | None = None) -> route53.AliasRecordTargetConfig:
        return self._target


def test_only_used_values_become_template_parameters(templates: dict[str, Template]) -> None:
    assert ssm_parameters(templates["small"]) == {name(EnvironmentParameter.EKS_CLUSTER_NAME): "AWS::SSM::Parameter::Value<String>"}
    used = {
        EnvironmentParameter.VPC_ID,
        EnvironmentParameter.PRIVATE_SUBNET_IDS,
        EnvironmentParameter.LISTENER_ARN,
        EnvironmentParameter.CLUSTER_NAME,
        EnvironmentParameter.LOAD_BALANCER_SECURITY_GROUP_ID,
        EnvironmentParameter.DOMAIN_NAME,
        EnvironmentParameter.HOSTED_ZONE_ID,
        EnvironmentParameter.LOAD_BALANCER_DNS_NAME,
        EnvironmentParameter.LOAD_BALANCER_HOSTED_ZONE_ID,
    }
    assert set(ssm_parameters(templates["full"])) == {name(k) for k in used}


def test_record_lands_under_the_domain_and_rule_on_the_shared_listener(templates: dict[str, Template]) -> None:
    full = templates["full"].to_json()
    params = {p["Default"]: logical for logical, p in full["Parameters"].items() if "Default" in p}
    domain = {"Ref": params[name(EnvironmentParameter.DOMAIN_NAME)]}
    templates["full"].has_resource_properties("AWS::Route53::RecordSet", {"Name": {"Fn::Join": ["", ["svc.", domain, "."]]}, "HostedZoneId": {"Ref": params[name(EnvironmentParameter.HOSTED_ZONE_ID)]}})
    templates["full"].has_resource_properties("AWS::ElasticLoadBalancingV2::ListenerRule", {"ListenerArn": {"Ref": params[name(EnvironmentParameter.LISTENER_ARN)]}})
    # The task security group admits the shared load balancer's group; no rule lands on the shared group.
    templates["full"].has_resource_properties("AWS::EC2::SecurityGroupIngress", {"SourceSecurityGroupId": {"Ref": params[name(EnvironmentParameter.LOAD_BALANCER_SECURITY_GROUP_ID)]}, "FromPort": 8080})
    assert not [r for r in full["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupEgress"]


def test_templates_are_cfn_lint_clean(templates: dict[str, Template]) -> None:
    for template in templates.values():
        assert cfn_lint_findings(template.to_json()) == []


def test_bad_environment_or_name_is_refused() -> None:
    stack = cdk.Stack(new_app(), "S")
    with pytest.raises(ValueError, match=r"environment = 'prod': expected one of development, staging, production"):
        ServiceEnvironmentImport(stack, "A", environment="prod", name="shared")
    with pytest.raises(ValueError, match=r"name = 'a/b'"):
        ServiceEnvironmentImport(stack, "B", environment="staging", name="a/b")
    with pytest.raises(ValueError, match=r"availability_zones = 4: expected 2-3"):
        ServiceEnvironmentImport(stack, "C", environment="staging", name="shared", availability_zones=4)


def test_service_on_the_shared_cluster_runs_in_private_subnets_and_is_nag_clean(templates: dict[str, Template]) -> None:
    full = templates["full"].to_json()
    params = {p["Default"]: logical for logical, p in full["Parameters"].items() if "Default" in p}
    subnets = {"Fn::Split": [",", {"Ref": params[name(EnvironmentParameter.PRIVATE_SUBNET_IDS)]}]}
    templates["full"].has_resource_properties(
        "AWS::ECS::Service",
        {
            "Cluster": {"Ref": params[name(EnvironmentParameter.CLUSTER_NAME)]},
            "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
            "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED", "SecurityGroups": Match.any_value(), "Subnets": [{"Fn::Select": [0, subnets]}, {"Fn::Select": [1, subnets]}]}},
        },
    )
    assert FINDINGS == []
