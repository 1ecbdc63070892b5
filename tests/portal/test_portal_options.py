"""Each portal switch on and off, against the profile that defaults it the other way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Match

from stagelift.constructs.web_acl import MANAGED_RULE_GROUPS
from stagelift.constructs.portal.image import REQUIRED_FILES
from stagelift.constructs.portal.network import INTERFACE_ENDPOINTS

from .conftest import DOMAIN, synth_profile

CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"
EXISTING_VPC = {
    "vpcId": "vpc-0123456789abcdef0",
    "vpcCidr": "10.20.0.0/16",
    "availabilityZones": ["eu-west-1a", "eu-west-1b"],
    "publicSubnetIds": ["subnet-0000000000000000a", "subnet-0000000000000000b"],
    "privateSubnetIds": ["subnet-1000000000000000a", "subnet-1000000000000000b"],
    "isolatedSubnetIds": ["subnet-2000000000000000a", "subnet-2000000000000000b"],
    "privateSubnetRouteTableIds": ["rtb-1000000000000000a", "rtb-1000000000000000b"],
    "region": "eu-west-1",
}


# --- image: the first deploy does not wait for an image -------------------------------------------------


def test_without_an_image_the_service_starts_with_no_tasks_and_no_scaling() -> None:
    portal = synth_profile("development")
    portal.template.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 0})
    portal.template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)


def test_image_tag_runs_that_tag_from_the_portal_repository() -> None:
    portal = synth_profile("development", imageTag="2026.11.1")
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    image = json.dumps(next(c for c in containers if c["Name"] == "Backstage")["Image"])
    repository_id = portal.stack.get_logical_id(portal.stack.portal.service.repository.node.default_child)
    assert repository_id in image and ":2026.11.1" in image
    portal.template.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 1})


def test_image_uri_runs_an_image_from_another_registry() -> None:
    uri = "ghcr.io/example/backstage:1.2.3"
    portal = synth_profile("development", imageUri=uri)
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    assert next(c for c in containers if c["Name"] == "Backstage")["Image"] == uri


# --- WAF -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("environment", "override", "expected"), [("development", None, False), ("development", True, True), ("staging", None, True), ("staging", False, False), ("production", None, True)])
def test_waf(environment: str, override: bool | None, expected: bool) -> None:
    context = {} if override is None else {"waf": override}
    portal = synth_profile(environment, **DOMAIN, **context)
    portal.template.resource_count_is("AWS::WAFv2::WebACL", int(expected))
    portal.template.resource_count_is("AWS::WAFv2::WebACLAssociation", int(expected))
    portal.template.resource_count_is("AWS::WAFv2::LoggingConfiguration", int(expected))
    if expected:
        acl = portal.one("AWS::WAFv2::WebACL")["Properties"]
        assert acl["Scope"] == "REGIONAL"
        managed = [r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"] if "ManagedRuleGroupStatement" in r["Statement"]]
        assert sorted(managed) == sorted(MANAGED_RULE_GROUPS)
        logging = portal.one("AWS::WAFv2::LoggingConfiguration")["Properties"]
        assert "aws-waf-logs-" in json.dumps(logging["LogDestinationConfigs"])
        portal.template.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": Match.string_like_regexp("^aws-waf-logs-"), "RetentionInDays": Match.any_value()})


# --- network options ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("environment", "override", "expected"), [("development", None, False), ("development", True, True), ("production", None, True), ("production", False, False)])
def test_vpc_endpoints(environment: str, override: bool | None, expected: bool) -> None:
    context = {} if override is None else {"vpcEndpoints": override}
    portal = synth_profile(environment, **DOMAIN, **context)
    endpoints = portal.of_type("AWS::EC2::VPCEndpoint").values()
    interface = [e for e in endpoints if e["Properties"].get("VpcEndpointType") == "Interface"]
    gateway = [e for e in endpoints if e["Properties"].get("VpcEndpointType") == "Gateway"]
    assert len(interface) == (len(INTERFACE_ENDPOINTS) if expected else 0)
    assert len(gateway) == int(expected)
    for endpoint in interface:
        assert endpoint["Properties"]["PrivateDnsEnabled"] is True


@pytest.mark.parametrize(("environment", "override", "nat_instances", "nat_gateways"), [("development", None, 1, 0), ("development", False, 0, 1), ("staging", True, 1, 0), ("production", None, 0, 3)])
def test_nat_instance_or_gateways(environment: str, override: bool | None, nat_instances: int, nat_gateways: int) -> None:
    context = {} if override is None else {"natInstance": override}
    portal = synth_profile(environment, **DOMAIN, **context)
    portal.template.resource_count_is("AWS::EC2::Instance", nat_instances)
    portal.template.resource_count_is("AWS::EC2::NatGateway", nat_gateways)
    if nat_instances:
        portal.template.has_resource_properties("AWS::EC2::Instance", {"InstanceType": "t4g.nano", "SourceDestCheck": False})


@pytest.mark.parametrize("flow_logs", [True, False])
def test_flow_logs_are_encrypted_and_kept(flow_logs: bool) -> None:
    portal = synth_profile("development", flowLogs=flow_logs)
    portal.template.resource_count_is("AWS::EC2::FlowLog", int(flow_logs))
    if flow_logs:
        portal.template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL", "ResourceType": "VPC"})
        portal.template.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": Match.any_value(), "RetentionInDays": 30})


def test_existing_vpc_is_used_as_given() -> None:
    portal = synth_profile("development", **EXISTING_VPC)
    for resource_type in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway", "AWS::EC2::Instance"):
        portal.template.resource_count_is(resource_type, 0)
    service = portal.one("AWS::ECS::Service")["Properties"]
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] == EXISTING_VPC["privateSubnetIds"]
    assert portal.one("AWS::RDS::DBSubnetGroup")["Properties"]["SubnetIds"] == EXISTING_VPC["isolatedSubnetIds"]
    # No domain: the internal load balancer behind CloudFront sits in the private subnets.
    assert portal.one("AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]["Subnets"] == EXISTING_VPC["privateSubnetIds"]
    portal.template.has_resource_properties("AWS::EC2::FlowLog", {"ResourceId": EXISTING_VPC["vpcId"], "ResourceType": "VPC"})


# --- certificate ---------------------------------------------------------------------------------------------------


def test_existing_certificate_instead_of_a_hosted_zone() -> None:
    portal = synth_profile("staging", domainName="portal.example.org", hostedZoneId=None, hostedZoneName=None, certificateArn=CERTIFICATE_ARN)
    portal.template.resource_count_is("AWS::CertificateManager::Certificate", 0)
    portal.template.resource_count_is("AWS::Route53::RecordSet", 0)
    portal.template.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {"Port": 443, "Certificates": [{"CertificateArn": CERTIFICATE_ARN}]})
    assert portal.template.to_json()["Outputs"]["PortalUrl"]["Value"] == "https://portal.example.org"


# --- database credential rotation ------------------------------------------------------------------------------------


ROTATION_REASON = {"productionOverrides": {"rotateDatabaseCredentials": "Credentials rotated by the corporate vault instead"}}


@pytest.mark.parametrize(
    ("environment", "context", "expected"),
    [("development", {}, False), ("staging", {"rotateDatabaseCredentials": True}, True), ("production", {}, True), ("production", {"rotateDatabaseCredentials": False, **ROTATION_REASON}, False)],
)
def test_rotation_uses_alternating_users_for_the_app_and_single_user_for_the_master(environment: str, context: dict, expected: bool) -> None:
    portal = synth_profile(environment, **DOMAIN, **context)
    schedules = portal.of_type("AWS::SecretsManager::RotationSchedule")
    assert len(schedules) == (2 if expected else 0)
    if expected:
        database = portal.stack.portal.database
        app_attachment = portal.stack.get_logical_id(database.app_secret_attachment.node.default_child)
        master_attachment = portal.stack.get_logical_id(database.instance.node.find_child("Secret").node.find_child("Attachment").node.default_child)
        by_secret = {s["Properties"]["SecretId"]["Ref"]: s for s in schedules.values()}
        # The application user's secret alternates users, the master secret doing the work.
        app = by_secret[app_attachment]["Properties"]
        assert app["HostedRotationLambda"]["RotationType"] == "PostgreSQLMultiUser"
        assert "MasterSecretArn" in app["HostedRotationLambda"]
        assert app["RotationRules"]["ScheduleExpression"] == "rate(30 days)"
        # The master secret rotates itself.
        assert by_secret[master_attachment]["Properties"]["HostedRotationLambda"]["RotationType"] == "PostgreSQLSingleUser"
        # Each rotation's first run waits for the users to exist.
        users = portal.stack.get_logical_id(database.users.resource.node.default_child)
        assert all(users in s["DependsOn"] for s in schedules.values())


def test_rotation_period_is_configurable() -> None:
    portal = synth_profile("production", **DOMAIN, rotationDays=7)
    schedules = portal.of_type("AWS::SecretsManager::RotationSchedule").values()
    # The application user's and the master secret's rotations both follow rotationDays.
    assert [s["Properties"]["RotationRules"]["ScheduleExpression"] for s in schedules] == ["rate(7 days)"] * 2


# --- overriding profile values --------------------------------------------------------------------------------------


def test_any_profile_value_can_be_overridden_from_context() -> None:
    portal = synth_profile(
        "production", **DOMAIN, databaseInstanceClass="db.r7g.xlarge", taskCpu=4096, taskMemoryMib=8192, logRetentionDays=365, mfa="OPTIONAL",
        productionOverrides={"mfa": "Sign-in is federated; the company identity provider enforces MFA"},
    )
    portal.template.has_resource_properties("AWS::RDS::DBInstance", {"DBInstanceClass": "db.r7g.xlarge"})
    portal.template.has_resource_properties("AWS::ECS::TaskDefinition", {"Cpu": "4096", "Memory": "8192"})
    portal.template.has_resource_properties("AWS::Cognito::UserPool", {"MfaConfiguration": "OPTIONAL"})


# --- image built from a Backstage app (portalAppPath) -----------------------------------------------------------


def app_folder(tmp_path: Path, *, without: str | None = None) -> Path:
    """A stand-in portal app folder (synthesis never builds it), optionally missing one file."""
    app = tmp_path / "my-portal"
    app.mkdir()
    for name in REQUIRED_FILES:
        if name != without:
            (app / name).write_text("node_modules\n" if name == ".dockerignore" else "{}\n")
    return app


def test_portal_app_path_builds_the_app_as_an_image_asset(tmp_path: Path) -> None:
    portal = synth_profile("development", portalAppPath=str(app_folder(tmp_path)))
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    image = json.dumps(next(c for c in containers if c["Name"] == "Backstage")["Image"])
    assert "cdk-hnb659fds-container-assets" in image
    portal.template.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 1})
    portal.template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 1)


def test_portal_app_path_must_hold_the_image_recipe(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"portalAppPath = .*my-portal.*: Dockerfile missing; expected the portal app folder"):
        synth_profile("development", portalAppPath=str(app_folder(tmp_path, without="Dockerfile")))
