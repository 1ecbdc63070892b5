"""The portal's front door: load balancer, TLS certificate, DNS record, web application firewall and,
without a domain, the CloudFront distribution that serves it over HTTPS."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from ...config.portal import PortalConfig
from ..https_endpoint import KEEP_PARENT_IDS, HttpsEndpoint
from ..nag import acknowledge
from ..secure_bucket import SecureBucket
from ..web_acl import add_regional_web_acl, visibility, web_acl_rules
from .cdn import OriginFacingPrefixList, PortalDistribution

# The common rule set's SizeRestrictions_BODY (bodies over 8 KB) only counts and labels (see
# web_acl). Backstage's own API takes larger ones: scaffolder tasks and dry runs (a template and
# its files), catalog locations, entity validation and batch reads. The portal's rule after the
# common rule set blocks the label everywhere but POSTs to these prefixes. AWS WAF developer
# guide, "Baseline rule groups" (rule and label names) and "Labels on web requests".
BODY_SIZE_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"
LARGE_BODY_PATHS: tuple[str, ...] = ("/api/scaffolder/", "/api/catalog/")


class PortalEdge(Construct):
    """The portal's ``HttpsEndpoint`` and, with ``config.waf``, a web ACL on its load balancer.

    With a domain: an internet-facing load balancer in ``public_subnets`` (HTTPS with a TLS 1.3
    policy, HTTP -> HTTPS, alias record). Without one (development only): an internal load balancer
    in ``private_subnets`` (no public address) that admits only CloudFront's origin-facing
    addresses, behind a ``PortalDistribution`` serving HTTPS on its ``*.cloudfront.net`` name
    (``distribution``, None with a domain); there is no certificate for an ``elb.amazonaws.com`` name.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PortalConfig,
        vpc: ec2.IVpc,
        public_subnets: ec2.SubnetSelection,
        private_subnets: ec2.SubnetSelection,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param public_subnets: the internet-facing load balancer's subnets (with a domain).
        :param private_subnets: the internal load balancer's subnets (without a domain, behind CloudFront).
        :param encryption_key: key for the WAF log group (its policy must admit CloudWatch Logs); default none (CloudWatch Logs' own encryption).
        """
        super().__init__(scope, id)
        self._encryption_key = encryption_key
        self.access_logs = SecureBucket(self, "AccessLogs", retain=config.retain_data, versioned=False, expire_after_days=config.log_retention_days)
        behind_cloudfront = config.domain_name is None
        self.origin_facing: OriginFacingPrefixList | None = None
        ingress_peer: ec2.IPeer | None = None
        if behind_cloudfront:
            self.origin_facing = OriginFacingPrefixList(self, "CloudFrontOriginFacing")
            ingress_peer = ec2.Peer.prefix_list(self.origin_facing.prefix_list_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="Portal load balancer: HTTP from the CloudFront VPC origin only" if behind_cloudfront else "Portal load balancer: HTTP(S) from the internet",
            allow_all_outbound=False,
        )
        self.endpoint = HttpsEndpoint(
            self,
            KEEP_PARENT_IDS,  # the resources keep the logical ids PortalEdge gave them before HttpsEndpoint existed
            vpc=vpc,
            vpc_subnets=private_subnets if behind_cloudfront else public_subnets,
            access_logs=self.access_logs.bucket,
            access_log_prefix="alb",
            domain_name=config.domain_name,
            hosted_zone_id=config.hosted_zone_id,
            hosted_zone_name=config.hosted_zone_name,
            certificate_arn=config.certificate_arn,
            security_group=self.security_group,
            deletion_protection=config.load_balancer_deletion_protection,
            internet_facing=not behind_cloudfront,
            ingress_peer=ingress_peer,
        )
        self.load_balancer = self.endpoint.load_balancer
        self.listener = self.endpoint.listener
        self.certificate = self.endpoint.certificate
        self.zone = self.endpoint.zone
        self.distribution: PortalDistribution | None = None
        if behind_cloudfront:
            self.distribution = PortalDistribution(
                self,
                "Cdn",
                load_balancer=self.load_balancer,
                comment=f"{config.portal_name} portal ({config.environment})",
                access_log_bucket=self.access_logs.bucket,
                log_retention_days=config.log_retention_days,
                retain=config.retain_data,
            )
        # With CloudFront in front, the regional web ACL stays on the (internal) load balancer: its
        # rule groups inspect every request CloudFront forwards. A CLOUDFRONT-scope ACL would have to
        # live in us-east-1 (see README, "Development without a domain").
        self.web_acl: wafv2.CfnWebACL | None = None
        if config.waf:
            self._add_web_acl(config)
        if self.distribution is not None:
            acknowledge(
                self.distribution.distribution,
                "AwsSolutions-CFR2",
                (
                    "The regional web ACL (waf) stays on the internal load balancer and inspects every request this distribution forwards"
                    if config.waf
                    else f"No web ACL ({config.why_weakened('waf')})"
                )
                + "; a CLOUDFRONT-scope web ACL would have to be created in us-east-1, outside this regional stack, for a development portal without a domain.",
            )

    def _add_web_acl(self, config: PortalConfig) -> None:
        metric_prefix = f"{config.portal_name}-{config.environment}"
        added = add_regional_web_acl(
            self,
            load_balancer_arn=self.load_balancer.load_balancer_arn,
            metric_prefix=metric_prefix,
            rules=web_acl_rules(
                metric_prefix,
                rate_limit=config.waf_rate_limit,
                after_common_rule_set=lambda priority: _body_size_rule(f"{metric_prefix}-LargeBodyOutsideBackstageApi", priority=priority),
            ),
            log_retention_days=config.log_retention_days,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
            encryption_key=self._encryption_key,
        )
        self.web_acl = added.web_acl
        self.waf_log_group = added.log_group


def _body_size_rule(metric_name: str, *, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    """Block what SizeRestrictions_BODY labelled, unless it is a POST to one of ``LARGE_BODY_PATHS``."""
    # Decoded and normalized first, so /api/scaffolder/../other does not pass as the scaffolder.
    path_transformations = [
        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="URL_DECODE"),
        wafv2.CfnWebACL.TextTransformationProperty(priority=1, type="NORMALIZE_PATH"),
    ]
    paths = [
        wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="STARTS_WITH",
                search_string=prefix,
                text_transformations=path_transformations,
            )
        )
        for prefix in LARGE_BODY_PATHS
    ]
    post = wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
            positional_constraint="EXACTLY",
            search_string="POST",
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )
    backstage_api_post = wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[post, wafv2.CfnWebACL.StatementProperty(or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=paths))])
    )
    return wafv2.CfnWebACL.RuleProperty(
        name="LargeBodyOutsideBackstageApi",
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            and_statement=wafv2.CfnWebACL.AndStatementProperty(
                statements=[
                    wafv2.CfnWebACL.StatementProperty(label_match_statement=wafv2.CfnWebACL.LabelMatchStatementProperty(scope="LABEL", key=BODY_SIZE_LABEL)),
                    wafv2.CfnWebACL.StatementProperty(not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=backstage_api_post)),
                ]
            )
        ),
        visibility_config=visibility(metric_name),
        priority=priority,
    )
