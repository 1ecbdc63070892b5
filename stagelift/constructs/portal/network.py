"""The portal's network: a new three-tier VPC or an existing one, NAT choice, endpoints, flow logs."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from ...config.portal import PortalConfig
from ..nag import acknowledge
from ..network import ServiceNetwork, ThreeTierSubnets, add_flow_logs
from ..retention import log_retention

# Interface endpoints for everything a task reaches at start-up: image pull (ECR API + Docker
# registry), secrets, and its log stream. S3 (image layers, TechDocs) gets a free gateway endpoint.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrDocker": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
}


class PortalNetwork(ThreeTierSubnets, Construct):
    """VPC for the portal: public (load balancer), private with egress (tasks), isolated (database).

    With ``config.vpc_id`` the existing VPC (its CIDR block ``config.vpc_cidr``) and its subnets
    are used as given (no lookup); otherwise a new VPC is created in zones resolved at deploy time
    (or ``config.availability_zones``) with NAT gateways or, when ``config.nat_instance``, one
    t4g.nano NAT instance.
    """

    def __init__(self, scope: Construct, id: str, *, config: PortalConfig) -> None:
        super().__init__(scope, id)
        if config.vpc_id is not None:
            self.vpc: ec2.IVpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=config.vpc_id,
                vpc_cidr_block=config.vpc_cidr,
                availability_zones=list(config.availability_zones or ()),
                public_subnet_ids=list(config.public_subnet_ids or ()),
                private_subnet_ids=list(config.private_subnet_ids or ()),
                private_subnet_route_table_ids=list(config.private_subnet_route_table_ids) if config.private_subnet_route_table_ids else None,
                isolated_subnet_ids=list(config.isolated_subnet_ids or ()),
            )
            if config.flow_logs:
                add_flow_logs(self, self.vpc, retention=log_retention(config.log_retention_days), retain=config.retain_data)
        else:
            nat_provider = None
            if config.nat_instance:
                nat_provider = ec2.NatProvider.instance_v2(
                    instance_type=ec2.InstanceType("t4g.nano"),
                    machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=ec2.AmazonLinuxCpuType.ARM_64),
                    default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
                    associate_public_ip_address=True,
                )
            network = ServiceNetwork(
                self,
                "Network",
                max_azs=config.max_azs,
                nat_gateways=1 if config.nat_instance else config.nat_gateways,
                cidr=config.vpc_cidr,
                availability_zones=config.zones,
                flow_logs=config.flow_logs,
                flow_log_retention=log_retention(config.log_retention_days),
                retain=config.retain_data,
                nat_gateway_provider=nat_provider,
            )
            self.vpc = network.vpc
            if nat_provider is not None:
                # Forward traffic from the VPC only; nothing on the internet may open a connection in.
                nat_provider.connections.allow_from(ec2.Peer.ipv4(self.vpc.vpc_cidr_block), ec2.Port.all_traffic(), "Traffic to NAT from inside the VPC")
                self._acknowledge_nat_instance(nat_provider)
        self.endpoint_security_group: ec2.SecurityGroup | None = None
        if config.vpc_endpoints:
            self._add_endpoints()

    def _add_endpoints(self) -> None:
        # Only HTTPS from inside the VPC reaches the endpoints.
        self.endpoint_security_group = ec2.SecurityGroup(
            self, "EndpointSecurityGroup", vpc=self.vpc, description="HTTPS from the VPC to AWS service endpoints", allow_all_outbound=False
        )
        self.endpoint_security_group.add_ingress_rule(ec2.Peer.ipv4(self.vpc.vpc_cidr_block), ec2.Port.tcp(443), "HTTPS from inside the VPC")
        acknowledge(
            self.endpoint_security_group,
            "AwsSolutions-EC23",
            "Inbound is HTTPS from the VPC's own CIDR only (a token cdk-nag cannot resolve); endpoints are not reachable from the internet.",
        )
        for name, service in INTERFACE_ENDPOINTS.items():
            self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=self.private_subnets,
                security_groups=[self.endpoint_security_group],
                private_dns_enabled=True,
            )
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.private_subnets])

    def _acknowledge_nat_instance(self, provider: ec2.NatInstanceProviderV2) -> None:
        acknowledge(
            provider.security_group,
            "AwsSolutions-EC23",
            "Inbound is open only to the VPC's own CIDR (a token cdk-nag cannot resolve); the NAT instance accepts nothing from the internet.",
        )
        for instance in provider.gateway_instances:
            acknowledge(instance, "AwsSolutions-EC26", "The NAT instance's root volume holds only the Amazon Linux image; no data is written to it.")
            acknowledge(instance, "AwsSolutions-EC28", "The NAT instance is a disposable development-cost saver; basic monitoring and the VPC flow logs cover it.")
            acknowledge(instance, "AwsSolutions-EC29", "The NAT instance holds no data and is recreated by CloudFormation when replaced; termination protection would block the stack's own updates.")

