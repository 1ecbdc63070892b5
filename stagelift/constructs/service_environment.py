"""The shared service environment: VPC, ECS cluster, one HTTPS load balancer, optional EKS platform."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ..config.service_environment import ServiceEnvironmentConfig
from ..parameters import NONE, EnvironmentParameter, environment_parameter
from .eks_platform import EksPlatform
from .https_endpoint import HttpsEndpoint
from .network import ServiceNetwork
from .retention import log_retention
from .secure_bucket import SecureBucket
from .web_acl import add_regional_web_acl, web_acl_rules
from .service_environment_import import ServiceEnvironmentImport

__all__ = ["ServiceEnvironment", "ServiceEnvironmentImport"]

# What the shared listener answers for a host no service claims.
NOT_FOUND = elbv2.ListenerAction.fixed_response(404, content_type="text/plain", message_body="No service is served at this name.\n")


class ServiceEnvironment(Construct):
    """What every service of one environment shares, deployed once per account, region and environment.

    - ``network``: a ``ServiceNetwork`` (public, private-with-egress and isolated subnets in
      ``config.max_azs`` zones, flow logs); the load balancer in the public subnets, tasks and
      pods in the private ones.
    - ``cluster``: an ECS cluster with Container Insights and the ``FARGATE`` and
      ``FARGATE_SPOT`` capacity providers (each service picks its strategy).
    - ``endpoint``: an ``HttpsEndpoint``, one internet-facing Application Load Balancer for all
      services: HTTPS on 443 with a DNS-validated wildcard certificate ``*.<domain_name>`` (TLS
      1.3 policy), HTTP redirected to HTTPS, and a default action answering 404 for any host no
      service claims. Services add a host-header rule (``<service>.<domain_name>``) and an alias
      record each. Access logs go to a ``SecureBucket``. Its security group may reach the VPC on
      any TCP port, so a service adds nothing to it (a security group holds 60 rules by
      default: one per service would cap the environment) and only admits it in its own group.
    - ``web_acl`` (with ``config.waf``): AWS WAF with the portal's managed rule groups
      (``MANAGED_RULE_GROUPS``) after a per-IP rate limit; the common rule set's 8 KB body limit
      only counts here (services differ in what bodies they take; a service that wants it
      enforced filters in its own code), logged to a CloudWatch log group.
    - ``eks`` (with ``config.eks``): an ``EksPlatform`` in the same VPC; EKS services join the
      shared load balancer through IP target groups (``TargetGroupBinding``) instead of an
      Ingress each.
    - ``parameters``: every ``stagelift.parameters.EnvironmentParameter`` under
      ``/stagelift/<environment>/environment/<name>/``, read by ``ServiceEnvironmentImport``.

    Production (``config.environment``) keeps what holds data when the stack is deleted (access
    logs bucket, flow and WAF logs, the EKS platform's key and logs) and turns on the load
    balancer's deletion protection.

    Application Load Balancer quotas a shared load balancer lives with (Elastic Load Balancing
    user guide, "Quotas for your Application Load Balancers"): 100 rules per load balancer, not
    counting default rules (adjustable; all services' rules sit on the one HTTPS listener here, so
    it is also the per-listener figure); 100 target groups per load balancer and 5 target groups
    per forward action (neither adjustable); 1,000 targets per load balancer (adjustable: each
    Fargate task or pod is one); 5 condition values per rule. With one rule per service and up
    to three target groups while a service moves between tiers, about 30-100 services fit one
    environment; ``ServiceRoute`` checks them per service and refuses with a clear message.

    Attributes: ``config``, ``network``, ``vpc``, ``cluster``, ``access_logs``, ``endpoint``,
    ``load_balancer``, ``security_group``, ``listener``, ``redirect_listener``, ``certificate``,
    ``zone``, ``web_acl`` and ``waf_log_group`` (None without WAF), ``eks`` (None without EKS),
    ``parameters`` (key -> ``ssm.StringParameter`` / ``ssm.StringListParameter``).
    """

    def __init__(self, scope: Construct, id: str, *, config: ServiceEnvironmentConfig) -> None:
        """
        :param config: validated environment options (``ServiceEnvironmentConfig``).
        """
        super().__init__(scope, id)
        self.config = config
        production = config.production
        removal = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY

        self.network = ServiceNetwork(
            self,
            "Network",
            max_azs=config.max_azs,
            nat_gateways=config.nat_gateways,
            cidr=config.vpc_cidr,
            flow_log_retention=log_retention(config.log_retention_days),
            retain=production,
        )
        self.vpc: ec2.Vpc = self.network.vpc

        self.cluster = ecs.Cluster(self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED, enable_fargate_capacity_providers=True)

        self.access_logs = SecureBucket(self, "AccessLogs", retain=production, versioned=False, expire_after_days=config.log_retention_days)
        self.security_group = ec2.SecurityGroup(
            self, "LoadBalancerSecurityGroup", vpc=self.vpc, description=f"Shared load balancer of service environment {config.name}: HTTP(S) from the internet", allow_all_outbound=False
        )
        # Targets are tasks and pods in this VPC on ports of their choosing (Lambda targets need no rule).
        self.security_group.add_egress_rule(ec2.Peer.ipv4(self.vpc.vpc_cidr_block), ec2.Port.tcp_range(1024, 65535), "To the services' targets in the VPC")
        self.endpoint = HttpsEndpoint(
            self,
            "Endpoint",
            vpc=self.vpc,
            vpc_subnets=self.network.public_subnets,
            access_logs=self.access_logs.bucket,
            access_log_prefix=f"environment-{config.name}",
            domain_name=config.domain_name,
            hosted_zone_id=config.hosted_zone_id,
            hosted_zone_name=config.hosted_zone_name,
            security_group=self.security_group,
            deletion_protection=production,
            wildcard=True,
            default_action=NOT_FOUND,
        )
        self.load_balancer = self.endpoint.load_balancer
        self.listener = self.endpoint.listener
        self.redirect_listener = self.endpoint.redirect_listener
        self.certificate = self.endpoint.certificate
        self.zone = self.endpoint.zone

        self.web_acl: wafv2.CfnWebACL | None = None
        self.waf_log_group: logs.LogGroup | None = None
        if config.waf:
            self._add_web_acl(config, removal)

        self.eks: EksPlatform | None = None
        eks_config = config.eks_config
        if eks_config is not None:
            self.eks = EksPlatform(self, "Eks", config=eks_config, vpc=self.vpc, retain=production)

        self.parameters = self._publish(config)

    def _add_web_acl(self, config: ServiceEnvironmentConfig, removal: RemovalPolicy) -> None:
        # Services differ in the bodies they accept: the common rule set's body-size rule only counts.
        metric_prefix = f"environment-{config.name}-{config.environment}"
        added = add_regional_web_acl(
            self,
            load_balancer_arn=self.load_balancer.load_balancer_arn,
            metric_prefix=metric_prefix,
            rules=web_acl_rules(metric_prefix, rate_limit=config.waf_rate_limit),
            log_retention_days=config.log_retention_days,
            removal_policy=removal,
        )
        self.web_acl = added.web_acl
        self.waf_log_group = added.log_group

    def _publish(self, config: ServiceEnvironmentConfig) -> dict[EnvironmentParameter, ssm.StringParameter | ssm.StringListParameter]:
        """SSM parameters a service stack reads at deploy time (see ``stagelift.parameters``)."""
        vpc = self.vpc
        strings: dict[EnvironmentParameter, str] = {
            EnvironmentParameter.VPC_ID: vpc.vpc_id,
            EnvironmentParameter.CLUSTER_NAME: self.cluster.cluster_name,
            EnvironmentParameter.CLUSTER_ARN: self.cluster.cluster_arn,
            EnvironmentParameter.LOAD_BALANCER_ARN: self.load_balancer.load_balancer_arn,
            EnvironmentParameter.LISTENER_ARN: self.listener.listener_arn,
            EnvironmentParameter.LOAD_BALANCER_SECURITY_GROUP_ID: self.security_group.security_group_id,
            EnvironmentParameter.LOAD_BALANCER_DNS_NAME: self.load_balancer.load_balancer_dns_name,
            EnvironmentParameter.LOAD_BALANCER_HOSTED_ZONE_ID: self.load_balancer.load_balancer_canonical_hosted_zone_id,
            EnvironmentParameter.DOMAIN_NAME: config.domain_name,
            EnvironmentParameter.HOSTED_ZONE_ID: config.hosted_zone_id,
            EnvironmentParameter.HOSTED_ZONE_NAME: config.hosted_zone_name,
            EnvironmentParameter.EKS_CLUSTER_NAME: self.eks.cluster.cluster_name if self.eks is not None else NONE,
        }
        lists: dict[EnvironmentParameter, list[str]] = {
            EnvironmentParameter.AVAILABILITY_ZONES: [s.availability_zone for s in vpc.private_subnets],
            EnvironmentParameter.PRIVATE_SUBNET_IDS: [s.subnet_id for s in vpc.private_subnets],
            EnvironmentParameter.PUBLIC_SUBNET_IDS: [s.subnet_id for s in vpc.public_subnets],
        }
        published: dict[EnvironmentParameter, ssm.StringParameter | ssm.StringListParameter] = {}
        for key, value in strings.items():
            published[key] = ssm.StringParameter(self, f"Parameter-{key.value}", parameter_name=environment_parameter(config.environment, config.name, key), string_value=value)
        for key, values in lists.items():
            published[key] = ssm.StringListParameter(
                self, f"Parameter-{key.value}", parameter_name=environment_parameter(config.environment, config.name, key), string_list_value=values
            )
        return published

