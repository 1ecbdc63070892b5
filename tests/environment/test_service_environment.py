"""ServiceEnvironment, through the example app the platform team deploys (synthesized once for the module).

``ServiceEnvironmentDevelopment``: defaults, two zones, no EKS. ``ServiceEnvironmentProduction``:
three zones, three NAT gateways, the EKS platform in the same VPC.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from stagelift.checks import cfn_lint_findings, nag_findings
from stagelift.constructs import HttpsEndpoint
from stagelift.parameters import EnvironmentParameter, environment_parameter
from tests.conftest import REPO_ROOT, new_app

DEV = "ServiceEnvironmentDevelopment"
PROD = "ServiceEnvironmentProduction"


@dataclass
class Synthesized:
    stacks: dict[str, cdk.Stack]
    templates: dict[str, Template]

    def json(self, name: str) -> dict[str, Any]:
        return self.templates[name].to_json()


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    spec = importlib.util.spec_from_file_location("service_environment_example", REPO_ROOT / "examples" / "service_environment" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.build_app(outdir=str(tmp_path_factory.mktemp("service_environment")))
    app.synth()  # cdk-nag is registered as a validation plugin: an unacknowledged finding fails here
    stacks = {c.node.id: c for c in app.node.children if isinstance(c, cdk.Stack)}
    return Synthesized(stacks, {name: Template.from_stack(stack) for name, stack in stacks.items()})


def resources(template: Mapping[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: Mapping[str, Any], type_: str, **properties: object) -> str:
    """The logical id of the one resource of ``type_`` whose properties include ``properties``."""
    found = [k for k, v in resources(template, type_).items() if all(v["Properties"].get(p) == value for p, value in properties.items())]
    assert len(found) == 1, (type_, properties, found)
    return found[0]


def parameter_values(template: Mapping[str, Any], environment: str) -> dict[EnvironmentParameter, object]:
    """SSM parameter key -> its Value as synthesized (StringList values are Fn::Join of the items)."""
    by_name = {r["Properties"]["Name"]: r["Properties"]["Value"] for r in resources(template, "AWS::SSM::Parameter").values() if "Name" in r["Properties"]}
    return {key: by_name[environment_parameter(environment, "shared", key)] for key in EnvironmentParameter if environment_parameter(environment, "shared", key) in by_name}


def subnets_of_type(template: Mapping[str, Any], kind: str) -> list[str]:
    """Logical ids of the subnets CDK tagged ``aws-cdk:subnet-type`` = ``kind`` (Public, Private, Isolated)."""
    return sorted(
        k for k, v in resources(template, "AWS::EC2::Subnet").items() if {"Key": "aws-cdk:subnet-type", "Value": kind} in v["Properties"].get("Tags", [])
    )


def refs(value: object) -> list[str]:
    """Logical ids referenced by ``Ref`` anywhere in ``value``, in order."""
    text = json.dumps(value)
    found: list[str] = []
    for part in text.split('{"Ref": "')[1:]:
        found.append(part.split('"', 1)[0])
    return found


@pytest.mark.parametrize(("stack", "environment"), [(DEV, "development"), (PROD, "production")])
def test_every_parameter_is_published_wired_to_its_resource(synth: Synthesized, stack: str, environment: str) -> None:
    template = synth.json(stack)
    values = parameter_values(template, environment)
    assert set(values) == set(EnvironmentParameter)
    load_balancer = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    https = only(template, "AWS::ElasticLoadBalancingV2::Listener", Port=443)
    security_group = template["Resources"][load_balancer]["Properties"]["SecurityGroups"][0]["Fn::GetAtt"][0]
    assert values[EnvironmentParameter.VPC_ID] == {"Ref": only(template, "AWS::EC2::VPC")}
    assert values[EnvironmentParameter.CLUSTER_NAME] == {"Ref": only(template, "AWS::ECS::Cluster")}
    assert values[EnvironmentParameter.CLUSTER_ARN] == {"Fn::GetAtt": [only(template, "AWS::ECS::Cluster"), "Arn"]}
    assert values[EnvironmentParameter.LOAD_BALANCER_ARN] == {"Ref": load_balancer}
    assert values[EnvironmentParameter.LISTENER_ARN] == {"Ref": https}
    assert values[EnvironmentParameter.LOAD_BALANCER_SECURITY_GROUP_ID] == {"Fn::GetAtt": [security_group, "GroupId"]}
    assert values[EnvironmentParameter.LOAD_BALANCER_DNS_NAME] == {"Fn::GetAtt": [load_balancer, "DNSName"]}
    assert values[EnvironmentParameter.LOAD_BALANCER_HOSTED_ZONE_ID] == {"Fn::GetAtt": [load_balancer, "CanonicalHostedZoneID"]}
    assert values[EnvironmentParameter.HOSTED_ZONE_ID] == "Z0123456789ABCDEFGHIJ"
    assert values[EnvironmentParameter.HOSTED_ZONE_NAME] == "example.com"
    assert refs(values[EnvironmentParameter.PRIVATE_SUBNET_IDS]) == subnets_of_type(template, "Private")
    assert refs(values[EnvironmentParameter.PUBLIC_SUBNET_IDS]) == subnets_of_type(template, "Public")
    zones = json.dumps(values[EnvironmentParameter.AVAILABILITY_ZONES])
    assert zones.count("Fn::GetAZs") == len(subnets_of_type(template, "Private"))
    # StringList parameters for lists, String for the rest.
    types = {r["Properties"]["Name"].rsplit("/", 1)[1]: r["Properties"]["Type"] for r in resources(template, "AWS::SSM::Parameter").values() if "/environment/" in r["Properties"].get("Name", "")}
    lists = {EnvironmentParameter.AVAILABILITY_ZONES, EnvironmentParameter.PRIVATE_SUBNET_IDS, EnvironmentParameter.PUBLIC_SUBNET_IDS}
    assert types == {key.value: "StringList" if key in lists else "String" for key in EnvironmentParameter}


def test_domain_and_eks_name_per_environment(synth: Synthesized) -> None:
    dev = parameter_values(synth.json(DEV), "development")
    prod = parameter_values(synth.json(PROD), "production")
    assert dev[EnvironmentParameter.DOMAIN_NAME] == "dev.services.example.com"
    assert prod[EnvironmentParameter.DOMAIN_NAME] == "services.example.com"
    assert dev[EnvironmentParameter.EKS_CLUSTER_NAME] == "none"
    assert prod[EnvironmentParameter.EKS_CLUSTER_NAME] == {"Ref": only(synth.json(PROD), "AWS::EKS::Cluster")}


def test_https_listener_serves_the_wildcard_certificate_and_answers_404_by_default(synth: Synthesized) -> None:
    template = synth.json(PROD)
    certificate = only(template, "AWS::CertificateManager::Certificate", DomainName="*.services.example.com")
    synth.templates[PROD].has_resource_properties(
        "AWS::CertificateManager::Certificate",
        {"DomainName": "*.services.example.com", "ValidationMethod": "DNS", "DomainValidationOptions": [{"DomainName": "*.services.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}]},
    )
    synth.templates[PROD].has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 443,
            "Protocol": "HTTPS",
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
            "Certificates": [{"CertificateArn": {"Ref": certificate}}],
            "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": Match.object_like({"StatusCode": "404"})}],
        },
    )
    synth.templates[PROD].has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 80, "DefaultActions": [{"Type": "redirect", "RedirectConfig": Match.object_like({"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"})}]},
    )
    # Services add their own records: the environment makes none.
    assert resources(template, "AWS::Route53::RecordSet") == {}


def test_load_balancer_in_public_subnets_and_reaches_only_the_vpc(synth: Synthesized) -> None:
    template = synth.json(DEV)
    load_balancer = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")[only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer")]
    assert load_balancer["Properties"]["Scheme"] == "internet-facing"
    assert sorted(refs(load_balancer["Properties"]["Subnets"])) == subnets_of_type(template, "Public")
    assert len(subnets_of_type(template, "Public")) == 2
    (group,) = [g for g in resources(template, "AWS::EC2::SecurityGroup").values() if "Shared load balancer" in g["Properties"]["GroupDescription"]]
    assert group["Properties"]["SecurityGroupEgress"] == [
        {"CidrIp": {"Fn::GetAtt": [only(template, "AWS::EC2::VPC"), "CidrBlock"]}, "Description": "To the services' targets in the VPC", "FromPort": 1024, "IpProtocol": "tcp", "ToPort": 65535}
    ]
    assert sorted((r["FromPort"], r["CidrIp"]) for r in group["Properties"]["SecurityGroupIngress"]) == [(80, "0.0.0.0/0"), (443, "0.0.0.0/0")]


def test_access_logs_and_waf(synth: Synthesized) -> None:
    template = synth.templates[DEV]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {"LoadBalancerAttributes": Match.array_with([{"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.prefix", "Value": "environment-shared"}])},
    )
    template.has_resource_properties("AWS::WAFv2::WebACLAssociation", {"ResourceArn": {"Ref": only(synth.json(DEV), "AWS::ElasticLoadBalancingV2::LoadBalancer")}})
    acl = resources(synth.json(PROD), "AWS::WAFv2::WebACL")[only(synth.json(PROD), "AWS::WAFv2::WebACL")]["Properties"]
    names = [r["Name"] for r in acl["Rules"]]
    assert names == ["RateLimitPerIp", "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"]
    assert acl["Rules"][0]["Statement"]["RateBasedStatement"]["Limit"] == 20000
    common = acl["Rules"][2]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    synth.templates[PROD].has_resource_properties("AWS::WAFv2::LoggingConfiguration", Match.any_value())


def test_cluster_has_container_insights_and_both_fargate_providers(synth: Synthesized) -> None:
    synth.templates[DEV].has_resource_properties("AWS::ECS::Cluster", {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]})
    synth.templates[DEV].has_resource_properties("AWS::ECS::ClusterCapacityProviderAssociations", {"CapacityProviders": Match.array_with(["FARGATE", "FARGATE_SPOT"])})


def test_eks_platform_shares_the_vpc(synth: Synthesized) -> None:
    template = synth.json(PROD)
    assert len(resources(template, "AWS::EC2::VPC")) == 1
    (cluster,) = resources(template, "AWS::EKS::Cluster").values()
    assert sorted(refs(cluster["Properties"]["ResourcesVpcConfig"]["SubnetIds"])) == subnets_of_type(template, "Private")
    assert len(subnets_of_type(template, "Private")) == 3
    # The platform publishes its own parameters for EKS services, under the environment's name.
    names = {r["Properties"]["Name"] for r in resources(template, "AWS::SSM::Parameter").values() if "Name" in r["Properties"]}
    assert "/stagelift/production/eks/services/vpc-id" in names
    assert resources(synth.json(DEV), "AWS::EKS::Cluster") == {}


def test_production_retains_data_and_protects_the_load_balancer(synth: Synthesized) -> None:
    for stack, production in ((DEV, False), (PROD, True)):
        template = synth.json(stack)
        (load_balancer,) = resources(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").values()
        assert {"Key": "deletion_protection.enabled", "Value": str(production).lower()} in load_balancer["Properties"]["LoadBalancerAttributes"]
        expected = "Retain" if production else "Delete"
        for type_ in ("AWS::S3::Bucket", "AWS::Logs::LogGroup"):
            assert {r.get("DeletionPolicy") for r in resources(template, type_).values()} == {expected}, (stack, type_)
        assert synth.stacks[stack].termination_protection is production


@pytest.mark.parametrize("stack", [DEV, PROD])
def test_cdk_nag_and_cfn_lint_clean(synth: Synthesized, stack: str) -> None:
    assert nag_findings(synth.stacks[stack]) == []
    assert cfn_lint_findings(synth.json(stack), regions=("eu-west-1",)) == []


def test_wildcard_endpoint_needs_a_domain() -> None:
    stack = cdk.Stack(new_app(), "S", env=cdk.Environment(region="eu-west-1"))
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_s3 as s3

    vpc = ec2.Vpc(stack, "Vpc")
    with pytest.raises(ValueError, match="wildcard serves the names under domain_name: give domain_name"):
        HttpsEndpoint(stack, "E", vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC), access_logs=s3.Bucket(stack, "B"), access_log_prefix="x", wildcard=True)
