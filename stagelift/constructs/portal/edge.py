"""The portal's front door: load balancer, TLS certificate, DNS record and web application firewall."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ...config.portal import PortalConfig
from ..https_endpoint import KEEP_PARENT_IDS, HttpsEndpoint
from ..retention import log_retention
from ..secure_bucket import SecureBucket

# AWS managed rule groups, in evaluation order.
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


class PortalEdge(Construct):
    """The portal's ``HttpsEndpoint`` in public subnets (HTTPS with a TLS 1.3 policy, HTTP -> HTTPS,
    alias record) and, with ``config.waf``, a web ACL on its load balancer.

    Without a domain (development only) the portal is served over HTTP on the load balancer's
    own DNS name: there is no certificate for an ``elb.amazonaws.com`` name.
    """

    def __init__(self, scope: Construct, id: str, *, config: PortalConfig, vpc: ec2.IVpc, subnets: ec2.SubnetSelection) -> None:
        super().__init__(scope, id)
        self.access_logs = SecureBucket(self, "AccessLogs", retain=config.retain_data, versioned=False, expire_after_days=config.log_retention_days)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="Portal load balancer: HTTP(S) from the internet", allow_all_outbound=False
        )
        self.endpoint = HttpsEndpoint(
            self,
            KEEP_PARENT_IDS,  # the resources keep the logical ids PortalEdge gave them before HttpsEndpoint existed
            vpc=vpc,
            vpc_subnets=subnets,
            access_logs=self.access_logs.bucket,
            access_log_prefix="alb",
            domain_name=config.domain_name,
            hosted_zone_id=config.hosted_zone_id,
            hosted_zone_name=config.hosted_zone_name,
            certificate_arn=config.certificate_arn,
            security_group=self.security_group,
            deletion_protection=config.load_balancer_deletion_protection,
        )
        self.load_balancer = self.endpoint.load_balancer
        self.listener = self.endpoint.listener
        self.certificate = self.endpoint.certificate
        self.zone = self.endpoint.zone
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



