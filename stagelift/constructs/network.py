"""A VPC laid out for three-tier services: public (load balancers), private (compute), isolated (data)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

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

    Flow logs go to a KMS-encrypted CloudWatch log group (all traffic, rejected and accepted),
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
        :param max_azs: availability zones to span; default 2.
        :param nat_gateways: NAT gateways (or instances); default 1 (shared by all AZs).
        :param cidr: VPC CIDR block; default 10.0.0.0/16.
        :param availability_zones: explicit AZ names, so no lookup is needed in an environment-specific stack; default none.
        :param flow_logs: record VPC flow logs; default True (turning it off loses the network audit trail).
        :param flow_log_retention: flow log retention; default one month.
        :param retain: keep the flow log group and key when the stack is deleted; default False.
        :param nat_gateway_provider: e.g. ``ec2.NatProvider.instance_v2(...)`` for a cheaper NAT instance; default NAT gateways.
        """
        super().__init__(scope, id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            max_azs=None if availability_zones else max_azs,
            availability_zones=list(availability_zones) if availability_zones else None,
            nat_gateways=nat_gateways,
            nat_gateway_provider=nat_gateway_provider,
            restrict_default_security_group=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name=PUBLIC, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name=PRIVATE, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
                ec2.SubnetConfiguration(name=ISOLATED, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24),
            ],
        )
        self.flow_log_group: logs.LogGroup | None = (
            add_flow_logs(self, self.vpc, retention=flow_log_retention, retain=retain) if flow_logs else None
        )



def add_flow_logs(scope: Construct, vpc: ec2.IVpc, *, retention: logs.RetentionDays, retain: bool) -> logs.LogGroup:
    """Record all of ``vpc``'s traffic (accepted and rejected) in a KMS-encrypted log group under ``scope``."""
    removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
    key = kms.Key(scope, "FlowLogKey", description=f"Encrypts VPC flow logs of {scope.node.path}", enable_key_rotation=True, removal_policy=removal)
    key.grant_encrypt_decrypt(iam.ServicePrincipal("logs.amazonaws.com"))
    group = logs.LogGroup(scope, "FlowLogs", encryption_key=key, retention=retention, removal_policy=removal)
    ec2.FlowLog(
        scope,
        "FlowLog",
        resource_type=ec2.FlowLogResourceType.from_vpc(vpc),
        destination=ec2.FlowLogDestination.to_cloud_watch_logs(group),
        traffic_type=ec2.FlowLogTrafficType.ALL,
    )
    return group
