"""A VPC laid out for three-tier services: public (load balancers), private (compute), isolated (data)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..config.network import subnet_layout
from ..zones import zone_names_or_tokens
from .log_encryption import log_group_key
from .nag import acknowledge
from .dependencies import drop_function_role_dependencies

PUBLIC = "public"
PRIVATE = "private"
ISOLATED = "isolated"


class ThreeTierSubnets:
    """Subnet selections of a three-tier VPC: public (load balancers), private (compute), isolated (data)."""

    @property
    def public_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)

    @property
    def private_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

    @property
    def isolated_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)


class ServiceNetwork(ThreeTierSubnets, Construct):
    """VPC with public, private-with-egress and isolated subnets in every AZ, plus flow logs.

    - Zones are resolved by CloudFormation at deploy time (``Fn::GetAZs``) unless named; nothing
      is guessed or looked up, so synthesis works offline.
    - Subnet sizes follow the VPC block (``subnet_layout``: each private subnet 1/16 of it, public
      and isolated 1/256, never below what AWS allows); a block too small for the zones is refused.
    - The VPC's default security group is stripped of its rules (CDK's
      ``restrict_default_security_group``): nothing attached to it by mistake can talk.
      CloudFormation has no property for that, so CDK adds one small Lambda-backed custom
      resource per stack (``Custom::VpcRestrictDefaultSG``, allowed to revoke rules of this
      group only); it runs at deploy time only.
    - Flow logs go to a KMS-encrypted CloudWatch log group (all traffic, rejected and accepted),
      so a security review has the evidence it asks for from day one.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        max_azs: int = 2,
        nat_gateways: int = 1,
        cidr: str = "10.0.0.0/16",
        availability_zones: Sequence[str] | None = None,
        flow_logs: bool = True,
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        retain: bool = False,
        nat_gateway_provider: ec2.NatProvider | None = None,
    ) -> None:
        """
        :param max_azs: availability zones to span, the first ``max_azs`` CloudFormation finds in
            the region at deploy time; default 2. Ignored when ``availability_zones`` names them.
        :param nat_gateways: NAT gateways (or instances); default 1 (shared by all AZs).
        :param cidr: VPC CIDR block, /16 to /24; default 10.0.0.0/16 (public /24, private /20,
            isolated /24 subnets).
        :param availability_zones: explicit AZ names (real ones of the target account, e.g. to keep
            the zones of an existing deployment); default none (resolved at deploy time).
        :param flow_logs: record VPC flow logs; default True (turning it off loses the network audit trail).
        :param flow_log_retention: flow log retention; default one month.
        :param retain: keep the flow log group and key when the stack is deleted; default False.
        :param nat_gateway_provider: e.g. ``ec2.NatProvider.instance_v2(...)`` for a cheaper NAT instance; default NAT gateways.
        """
        super().__init__(scope, id)
        zones = zone_names_or_tokens(availability_zones, max_azs)
        try:
            layout = subnet_layout(cidr, len(zones))
        except ValueError as error:
            raise ValueError(f"ServiceNetwork cidr = {cidr!r}: {error}") from None
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=zones,
            nat_gateways=nat_gateways,
            nat_gateway_provider=nat_gateway_provider,
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(name=PUBLIC, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=layout.public),
                ec2.SubnetConfiguration(name=PRIVATE, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=layout.private),
                ec2.SubnetConfiguration(name=ISOLATED, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=layout.isolated),
            ],
        )
        # The default security group's restriction handler (aws-cdk-lib) names its role twice (W3005).
        drop_function_role_dependencies(self)
        self.flow_log_group: logs.LogGroup | None = None
        if flow_logs:
            self.flow_log_group = add_flow_logs(self, self.vpc, retention=flow_log_retention, retain=retain)
        else:
            acknowledge(self.vpc.node.default_child, "AwsSolutions-VPC7", "Flow logs were turned off explicitly (flow_logs=False, the portal's flowLogs=false): the caller accepted losing the network audit trail.")


def add_flow_logs(scope: Construct, vpc: ec2.IVpc, *, retention: logs.RetentionDays, retain: bool) -> logs.LogGroup:
    """Record all of ``vpc``'s traffic (accepted and rejected) in a KMS-encrypted log group under ``scope``."""
    removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
    key = log_group_key(scope, "FlowLogKey", description=f"Encrypts VPC flow logs of {scope.node.path}", removal_policy=removal)
    group = logs.LogGroup(scope, "FlowLogs", encryption_key=key, retention=retention, removal_policy=removal)
    ec2.FlowLog(
        scope,
        "FlowLog",
        resource_type=ec2.FlowLogResourceType.from_vpc(vpc),
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(group),
        traffic_type=ec2.FlowLogTrafficType.ALL,
    )
    return group
