"""A service environment as a service's stack sees it: read from SSM when the stack is deployed."""

from __future__ import annotations

from functools import cached_property

from aws_cdk import Annotations, Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from stagelift.parameters import ENVIRONMENTS, EnvironmentParameter, environment_parameter

LISTENER_PORT = 443


class ServiceEnvironmentImport(Construct):
    """A ``ServiceEnvironment`` read from its SSM parameters (``stagelift.parameters``,
    ``/stagelift/<environment>/environment/<name>/``) at deploy time: no lookup, nothing copied by hand.

    Every attribute is created on first use, and only then does its value become a template
    parameter (``AWS::SSM::Parameter::Value<String>``): a service that never touches
    ``hosted_zone`` gets no parameter for it (an unused template parameter is a cfn-lint warning).

    - ``vpc``: the VPC with the first ``availability_zones`` private subnets (with egress), where
      tasks, pods and data stores go. Public subnets are not part of it (services never place
      anything there: the shared load balancer is the environment's); ``public_subnets`` reads them
      when needed. The subnets' ``availability_zone`` is ``Fn::GetAZs`` order, informational.
    - ``cluster``: the ECS cluster (Fargate and Fargate Spot capacity providers), on ``vpc``; its
      ARN is derived from its name.
    - ``listener``: the shared HTTPS listener (port 443) with ``load_balancer_security_group``;
      services add host-header rules to it. It brings the security group's parameter along,
      which IP targets use to admit the load balancer; ``listener_arn`` alone does not.
    - ``load_balancer_security_group``: imported immutable and with all outbound allowed (the
      environment lets it reach the VPC on every port), so a service adds no rule to the shared
      group (60 rules per security group would cap the environment's services); a service's
      targets admit it in their own security group.
    - ``hosted_zone``: the zone holding the domain, imported with ``zone_name = domain_name`` so a
      record named ``f"{service}.{env.domain_name}"`` (or just ``service``) lands at
      ``<service>.<domain>``; the zone's own name (possibly a parent) is ``hosted_zone_name``.
    - strings: ``domain_name``, ``load_balancer_dns_name``, ``load_balancer_canonical_hosted_zone_id``,
      ``load_balancer_arn``, ``listener_arn``, ``hosted_zone_name``, ``eks_cluster_name`` (``none``
      without an EKS platform).
    """

    def __init__(self, scope: Construct, id: str, *, environment: str, name: str, availability_zones: int = 2) -> None:
        """
        :param environment: ``development``, ``staging`` or ``production`` (the environment's
            ``ServiceEnvironmentConfig.environment``).
        :param name: the environment's name (``ServiceEnvironmentConfig.name``, e.g. ``shared``).
        :param availability_zones: how many of the environment's subnets to use (2-3); default 2
            (every environment spans at least 2).
        """
        super().__init__(scope, id)
        if environment not in ENVIRONMENTS:
            raise ValueError(f"environment = {environment!r}: expected one of {', '.join(ENVIRONMENTS)}")
        if not 2 <= availability_zones <= 3:
            raise ValueError(f"availability_zones = {availability_zones}: expected 2-3 (ServiceEnvironmentConfig.maxAzs)")
        # Checks name (an SSM path level) now, not on first use.
        environment_parameter(environment, name, EnvironmentParameter.VPC_ID)
        self.environment = environment
        self.name = name
        self.availability_zones = availability_zones
        self._values: dict[EnvironmentParameter, str] = {}

    def value(self, key: EnvironmentParameter) -> str:
        """The deploy-time value of one parameter (a template parameter, created once)."""
        if key not in self._values:
            self._values[key] = ssm.StringParameter.value_for_string_parameter(self, environment_parameter(self.environment, self.name, key))
        return self._values[key]

    def _list(self, key: EnvironmentParameter) -> list[str]:
        return Fn.split(",", self.value(key), self.availability_zones)

    @cached_property
    def vpc(self) -> ec2.IVpc:
        vpc = ec2.Vpc.from_vpc_attributes(
            self,
            "Vpc",
            vpc_id=self.value(EnvironmentParameter.VPC_ID),
            availability_zones=[Fn.select(i, Fn.get_azs()) for i in range(self.availability_zones)],
            private_subnet_ids=self._list(EnvironmentParameter.PRIVATE_SUBNET_IDS),
        )
        for subnet in vpc.private_subnets:
            # Services never route: they only place tasks, pods and data stores in these subnets.
            Annotations.of(subnet).acknowledge_warning("@aws-cdk/aws-ec2:noSubnetRouteTableId", "Route tables are the environment's; a service only places resources in these subnets.")
        return vpc

    @cached_property
    def public_subnets(self) -> list[ec2.ISubnet]:
        return [
            ec2.Subnet.from_subnet_attributes(self, f"PublicSubnet{i}", subnet_id=subnet_id, availability_zone=Fn.select(i, Fn.get_azs()))
            for i, subnet_id in enumerate(self._list(EnvironmentParameter.PUBLIC_SUBNET_IDS))
        ]

    @cached_property
    def cluster(self) -> ecs.ICluster:
        return ecs.Cluster.from_cluster_attributes(self, "Cluster", cluster_name=self.value(EnvironmentParameter.CLUSTER_NAME), vpc=self.vpc)

    @cached_property
    def load_balancer_security_group(self) -> ec2.ISecurityGroup:
        return ec2.SecurityGroup.from_security_group_id(
            self, "LoadBalancerSecurityGroup", self.value(EnvironmentParameter.LOAD_BALANCER_SECURITY_GROUP_ID), allow_all_outbound=True, mutable=False
        )

    @cached_property
    def listener(self) -> elbv2.IApplicationListener:
        return elbv2.ApplicationListener.from_application_listener_attributes(
            self, "Listener", listener_arn=self.listener_arn, security_group=self.load_balancer_security_group, default_port=LISTENER_PORT
        )

    @cached_property
    def hosted_zone(self) -> route53.IHostedZone:
        return route53.HostedZone.from_hosted_zone_attributes(self, "HostedZone", hosted_zone_id=self.value(EnvironmentParameter.HOSTED_ZONE_ID), zone_name=self.domain_name)

    @property
    def listener_arn(self) -> str:
        return self.value(EnvironmentParameter.LISTENER_ARN)

    @property
    def load_balancer_arn(self) -> str:
        return self.value(EnvironmentParameter.LOAD_BALANCER_ARN)

    @property
    def domain_name(self) -> str:
        return self.value(EnvironmentParameter.DOMAIN_NAME)

    @property
    def hosted_zone_name(self) -> str:
        return self.value(EnvironmentParameter.HOSTED_ZONE_NAME)

    @property
    def load_balancer_dns_name(self) -> str:
        return self.value(EnvironmentParameter.LOAD_BALANCER_DNS_NAME)

    @property
    def load_balancer_canonical_hosted_zone_id(self) -> str:
        return self.value(EnvironmentParameter.LOAD_BALANCER_HOSTED_ZONE_ID)

    @property
    def eks_cluster_name(self) -> str:
        return self.value(EnvironmentParameter.EKS_CLUSTER_NAME)
