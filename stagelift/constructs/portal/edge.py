"""The portal's front door: load balancer, TLS certificate, DNS record and web application firewall."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ...config.portal import PortalConfig
from ..nag import acknowledge
from ..retention import log_retention
from ..secure_bucket import SecureBucket

TLS_POLICY = elbv2.SslPolicy.TLS13_RES  # TLS 1.3 and 1.2 with forward-secret AEAD ciphers only
# AWS managed rule groups, in evaluation order.
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


class PortalEdge(Construct):
    """Internet-facing ALB in public subnets with HTTPS (TLS 1.3 policy) and HTTP -> HTTPS.

    Without a domain (development only) the portal is served over HTTP on the load balancer's
    own DNS name: there is no certificate for an ``elb.amazonaws.com`` name.
    """

    def __init__(self, scope: Construct, id: str, *, config: PortalConfig, vpc: ec2.IVpc, subnets: ec2.SubnetSelection) -> None:
        super().__init__(scope, id)
        self.access_logs = SecureBucket(self, "AccessLogs", retain=config.retain_data, versioned=False, expire_after_days=config.log_retention_days)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="Portal load balancer: HTTP(S) from the internet", allow_all_outbound=False
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            vpc_subnets=subnets,
            internet_facing=True,
            security_group=self.security_group,
            deletion_protection=config.load_balancer_deletion_protection,
            drop_invalid_header_fields=True,
        )
        self.load_balancer.log_access_logs(self.access_logs.bucket, prefix="alb")
        acknowledge(self.security_group, "AwsSolutions-EC23", "The portal is a public web application: its load balancer accepts HTTP(S) from any address; HTTP only redirects to HTTPS.")

        self.certificate: acm.ICertificate | None = None
        self.zone: route53.IHostedZone | None = None
        if config.hosted_zone_id is not None and config.hosted_zone_name is not None:
            self.zone = route53.HostedZone.from_hosted_zone_attributes(self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name)
        if config.certificate_arn is not None:
            self.certificate = acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn)
        elif self.zone is not None and config.domain_name is not None:
            self.certificate = acm.Certificate(self, "Certificate", domain_name=config.domain_name, validation=acm.CertificateValidation.from_dns(self.zone))

        if self.certificate is not None:
            self.security_group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS from the internet")
            self.listener = self.load_balancer.add_listener("Https", port=443, protocol=elbv2.ApplicationProtocol.HTTPS, certificates=[self.certificate], ssl_policy=TLS_POLICY, open=False)
            self.security_group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(80), "HTTP from the internet, redirected to HTTPS")
            self.load_balancer.add_listener(
                "HttpRedirect",
                port=80,
                protocol=elbv2.ApplicationProtocol.HTTP,
                open=False,
                default_action=elbv2.ListenerAction.redirect(protocol="HTTPS", port="443", permanent=True),
            )
        else:
            self.security_group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(80), "HTTP from the internet (development without a domain)")
            self.listener = self.load_balancer.add_listener("Http", port=80, protocol=elbv2.ApplicationProtocol.HTTP, open=False)

        if self.zone is not None and config.domain_name is not None:
            route53.ARecord(
                self, "AliasRecord", zone=self.zone, record_name=config.domain_name, target=route53.RecordTarget.from_alias(targets.LoadBalancerTarget(self.load_balancer))
            )
        self.web_acl: wafv2.CfnWebACL | None = None
        if config.waf:
            self._add_web_acl(config)

    def _add_web_acl(self, config: PortalConfig) -> None:
        metric_prefix = f"{config.portal_name}-{config.environment}"
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(metric_prefix),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name=group,
                    priority=index,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(vendor_name="AWS", name=group)
                    ),
                    visibility_config=_visibility(f"{metric_prefix}-{group}"),
                )
                for index, group in enumerate(MANAGED_RULE_GROUPS)
            ],
        )
        wafv2.CfnWebACLAssociation(self, "WebAclAssociation", resource_arn=self.load_balancer.load_balancer_arn, web_acl_arn=self.web_acl.attr_arn)
        # WAF writes only to log groups whose name starts with "aws-waf-logs-".
        log_group_name = f"aws-waf-logs-{metric_prefix}-{Stack.of(self).stack_name}"
        self.waf_log_group = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=log_group_name,
            retention=log_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        # WAF expects the log group ARN without the ":*" suffix CloudFormation's Arn attribute has.
        log_group_arn = Stack.of(self).format_arn(service="logs", resource="log-group", resource_name=log_group_name, arn_format=ArnFormat.COLON_RESOURCE_NAME)
        logging = wafv2.CfnLoggingConfiguration(self, "WafLogging", resource_arn=self.web_acl.attr_arn, log_destination_configs=[log_group_arn])
        logging.node.add_dependency(self.waf_log_group)


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True)



