"""HttpsEndpoint: the one front door of the portal and the Fargate tier, keeping the logical ids both had."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from constructs import Construct

from stagelift.config import FargateServiceConfig, validate
from stagelift.constructs import FargateService
from stagelift.constructs.https_endpoint import HttpsEndpoint
from tests.conftest import new_app
from tests.portal.conftest import synth_profile

ZONE = {"domainName": "orders.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}


def logical_id_of_path(*path: str) -> str:
    """The logical id CloudFormation gets for a resource at ``path`` inside a stack (how the ids were made before HttpsEndpoint)."""
    stack = cdk.Stack(cdk.App(), "Reference")
    scope: Construct = stack
    for part in path[:-1]:
        scope = Construct(scope, part)
    resource = cdk.CfnResource(scope, path[-1], type="Test::Only::Resource")
    return stack.resolve(resource.logical_id)


@pytest.fixture(scope="module")
def fargate() -> tuple[FargateService, dict[str, dict]]:
    stack = cdk.Stack(new_app(), "Service", env=cdk.Environment(region="eu-west-1"))
    service = FargateService(stack, "Svc", config=validate(FargateServiceConfig, {"serviceName": "web", **ZONE}, "test"), image=ecs.ContainerImage.from_registry("nginx"))
    return service, Template.from_stack(stack).to_json()["Resources"]


def test_portal_and_fargate_service_build_their_front_door_from_the_same_block(fargate: tuple[FargateService, dict[str, dict]]) -> None:
    service, _ = fargate
    portal = synth_profile("production").stack.portal
    for endpoint in (service.endpoint, portal.edge.endpoint):
        assert isinstance(endpoint, HttpsEndpoint)
        assert endpoint.https and endpoint.alias_record is not None and endpoint.redirect_listener is not None
    assert service.load_balancer is service.endpoint.load_balancer
    assert portal.edge.load_balancer is portal.edge.endpoint.load_balancer


# Paths the resources had when FargateService and PortalEdge built them themselves: a new logical id
# would replace the load balancer (deletion protection makes that fail in production), the
# listeners (port taken) and the alias record (name taken).
FARGATE_PATHS = {
    ("Svc", "LoadBalancer", "Resource"): "AWS::ElasticLoadBalancingV2::LoadBalancer",
    ("Svc", "LoadBalancer", "SecurityGroup", "Resource"): "AWS::EC2::SecurityGroup",
    ("Svc", "LoadBalancer", "Https", "Resource"): "AWS::ElasticLoadBalancingV2::Listener",
    ("Svc", "LoadBalancer", "Redirect80To443", "Resource"): "AWS::ElasticLoadBalancingV2::Listener",
    ("Svc", "LoadBalancer", "Https", "TasksGroup", "Resource"): "AWS::ElasticLoadBalancingV2::TargetGroup",
    ("Svc", "Certificate", "Resource"): "AWS::CertificateManager::Certificate",
    ("Svc", "Alias", "Resource"): "AWS::Route53::RecordSet",
}
PORTAL_PATHS = {
    ("Portal", "Edge", "LoadBalancer", "Resource"): "AWS::ElasticLoadBalancingV2::LoadBalancer",
    ("Portal", "Edge", "SecurityGroup", "Resource"): "AWS::EC2::SecurityGroup",
    ("Portal", "Edge", "LoadBalancer", "Https", "Resource"): "AWS::ElasticLoadBalancingV2::Listener",
    ("Portal", "Edge", "LoadBalancer", "HttpRedirect", "Resource"): "AWS::ElasticLoadBalancingV2::Listener",
    ("Portal", "Edge", "Certificate", "Resource"): "AWS::CertificateManager::Certificate",
    ("Portal", "Edge", "AliasRecord", "Resource"): "AWS::Route53::RecordSet",
}


def test_fargate_front_door_keeps_its_logical_ids(fargate: tuple[FargateService, dict[str, dict]]) -> None:
    _, resources = fargate
    for path, resource_type in FARGATE_PATHS.items():
        assert resources.get(logical_id_of_path(*path), {}).get("Type") == resource_type, "/".join(path)


def test_portal_front_door_keeps_its_logical_ids() -> None:
    resources = synth_profile("production").resources
    for path, resource_type in PORTAL_PATHS.items():
        assert resources.get(logical_id_of_path(*path), {}).get("Type") == resource_type, "/".join(path)


def test_portal_without_a_domain_keeps_its_http_listener_id() -> None:
    resources = synth_profile("development").resources
    http = resources[logical_id_of_path("Portal", "Edge", "LoadBalancer", "Http", "Resource")]
    assert http["Properties"]["Protocol"] == "HTTP"


def _bare(**options: object) -> None:
    stack = cdk.Stack(new_app(), "Bare", env=cdk.Environment(region="eu-west-1"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0)
    bucket = s3.Bucket(stack, "Logs")
    HttpsEndpoint(stack, "Endpoint", vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC), access_logs=bucket, access_log_prefix="x", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"domain_name": "a.example.com"}, "domain_name needs hosted_zone_id and hosted_zone_name"),
        ({"domain_name": "a.example.com", "hosted_zone_id": "Z123"}, "hosted_zone_id and hosted_zone_name go together"),
        ({"certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/x"}, "without domain_name"),
        ({"internet_facing": False}, "internet_facing=False needs ingress_peer"),
        ({"ingress_peer": ec2.Peer.ipv4("10.0.0.0/16")}, "ingress_peer is given but internet_facing is True"),
    ],
)
def test_conflicting_options_are_refused_before_synthesis(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _bare(**options)


def test_an_internal_endpoint_has_no_public_scheme_and_admits_only_its_peer() -> None:
    stack = cdk.Stack(new_app(), "Internal", env=cdk.Environment(region="eu-west-1"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    endpoint = HttpsEndpoint(
        stack,
        "Endpoint",
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        access_logs=s3.Bucket(stack, "Logs"),
        access_log_prefix="x",
        internet_facing=False,
        ingress_peer=ec2.Peer.prefix_list("pl-0123456789abcdef0"),
    )
    endpoint.listener.add_action("Answer", action=elbv2.ListenerAction.fixed_response(200))
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internal"})
    group = stack.resolve(endpoint.security_group.security_group_id)  # {"Fn::GetAtt": [<group>, "GroupId"]}
    resources = template.to_json()["Resources"]
    rules = list(resources[group["Fn::GetAtt"][0]]["Properties"].get("SecurityGroupIngress", []))
    rules += [r["Properties"] for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress" and r["Properties"]["GroupId"] == group]
    assert [(r["FromPort"], r.get("SourcePrefixListId"), r.get("CidrIp")) for r in rules] == [(80, "pl-0123456789abcdef0", None)]
