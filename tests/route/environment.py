"""A stand-in for a service environment as a service stack imports it (L2 objects from attributes, no lookups)."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
LISTENER_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared-development/50dc6c495c0c9188/f2f7dc8efc522ab2"
LOAD_BALANCER_SG = "sg-0a1b2c3d4e5f60001"
LOAD_BALANCER_DNS = "shared-development-1234567890.eu-west-1.elb.amazonaws.com"
LOAD_BALANCER_ZONE = "Z32O12XQLNTSW2"  # eu-west-1's canonical hosted zone for ALBs
DOMAIN = "services.example.com"


@dataclass
class StandInEnvironment:
    vpc: ec2.IVpc
    cluster: ecs.ICluster
    listener: elbv2.IApplicationListener
    load_balancer_security_group: ec2.ISecurityGroup
    domain_name: str
    hosted_zone: route53.IHostedZone
    load_balancer_dns_name: str
    load_balancer_canonical_hosted_zone_id: str
    listener_arn: str = LISTENER_ARN


def stand_in_environment(scope: cdk.Stack) -> StandInEnvironment:
    vpc = ec2.Vpc.from_vpc_attributes(
        scope,
        "EnvironmentVpc",
        vpc_id="vpc-0a1b2c3d4e5f60001",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        private_subnet_ids=["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
        private_subnet_route_table_ids=["rtb-0a1b2c3d4e5f60001", "rtb-0a1b2c3d4e5f60002"],
        public_subnet_ids=["subnet-0a1b2c3d4e5f60003", "subnet-0a1b2c3d4e5f60004"],
        public_subnet_route_table_ids=["rtb-0a1b2c3d4e5f60003", "rtb-0a1b2c3d4e5f60004"],
    )
    cluster = ecs.Cluster.from_cluster_attributes(scope, "EnvironmentCluster", cluster_name="shared-development", vpc=vpc)
    security_group = ec2.SecurityGroup.from_security_group_id(scope, "EnvironmentAlbSecurityGroup", LOAD_BALANCER_SG)
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        scope, "EnvironmentListener", listener_arn=LISTENER_ARN, security_group=security_group
    )
    zone = route53.HostedZone.from_hosted_zone_attributes(scope, "EnvironmentZone", hosted_zone_id="Z0123456789ABCDEFGHIJ", zone_name=DOMAIN)
    return StandInEnvironment(vpc, cluster, listener, security_group, DOMAIN, zone, LOAD_BALANCER_DNS, LOAD_BALANCER_ZONE)
