"""A regional AWS WAF web ACL on a load balancer, with its log group: the portal's and a service
environment's front doors use the same one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from .retention import log_retention

# AWS managed rule groups, in evaluation order.
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
# The common rule set blocks bodies over 8 KB (SizeRestrictions_BODY). Here that rule only counts
# (and labels); a caller that wants large bodies blocked outside some paths adds a rule on the
# label right after the common rule set. AWS WAF developer guide, "Baseline rule groups".
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
BODY_SIZE_RULE = "SizeRestrictions_BODY"
RATE_WINDOW_SECONDS = 300


@dataclass(frozen=True)
class RegionalWebAcl:
    web_acl: wafv2.CfnWebACL
    log_group: logs.LogGroup


def visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True)


def web_acl_rules(
    metric_prefix: str, *, rate_limit: int, after_common_rule_set: Callable[[int], wafv2.CfnWebACL.RuleProperty] | None = None
) -> list[wafv2.CfnWebACL.RuleProperty]:
    """Rate limit per address first (cheapest way out for a flood), then the managed groups.

    :param after_common_rule_set: builds the rule evaluated right after the common rule set (it
        gets that rule's priority), e.g. one that acts on the body-size label; default none.
    """
    rules = [
        wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(limit=rate_limit, aggregate_key_type="IP", evaluation_window_sec=RATE_WINDOW_SECONDS)
            ),
            visibility_config=visibility(f"{metric_prefix}-RateLimitPerIp"),
            priority=0,
        )
    ]
    for group in MANAGED_RULE_GROUPS:
        overrides = None
        if group == COMMON_RULE_SET:
            overrides = [wafv2.CfnWebACL.RuleActionOverrideProperty(name=BODY_SIZE_RULE, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}))]
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(vendor_name="AWS", name=group, rule_action_overrides=overrides)
                ),
                visibility_config=visibility(f"{metric_prefix}-{group}"),
                priority=len(rules),
            )
        )
        if group == COMMON_RULE_SET and after_common_rule_set is not None:
            rules.append(after_common_rule_set(len(rules)))
    return rules


def add_regional_web_acl(
    scope: Construct,
    *,
    load_balancer_arn: str,
    metric_prefix: str,
    rules: list[wafv2.CfnWebACL.RuleProperty],
    log_retention_days: int,
    removal_policy: RemovalPolicy,
    encryption_key: kms.IKey | None = None,
) -> RegionalWebAcl:
    """Web ACL ``WebAcl`` (default allow, ``rules``) on the load balancer, logging to ``WafLogs``.

    The children are added to ``scope`` itself (ids ``WebAcl``, ``WebAclAssociation``,
    ``WafLogs``, ``WafLogging``), so callers keep the logical ids they had.
    """
    web_acl = wafv2.CfnWebACL(
        scope, "WebAcl", scope="REGIONAL", default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}), visibility_config=visibility(metric_prefix), rules=rules
    )
    wafv2.CfnWebACLAssociation(scope, "WebAclAssociation", resource_arn=load_balancer_arn, web_acl_arn=web_acl.attr_arn)
    # WAF writes only to log groups whose name starts with "aws-waf-logs-".
    stack = Stack.of(scope)
    log_group_name = f"aws-waf-logs-{metric_prefix}-{stack.stack_name}"
    log_group = logs.LogGroup(
        scope, "WafLogs", log_group_name=log_group_name, retention=log_retention(log_retention_days), encryption_key=encryption_key, removal_policy=removal_policy
    )
    # WAF expects the log group ARN without the ":*" suffix CloudFormation's Arn attribute has.
    log_group_arn = stack.format_arn(service="logs", resource="log-group", resource_name=log_group_name, arn_format=ArnFormat.COLON_RESOURCE_NAME)
    logging = wafv2.CfnLoggingConfiguration(scope, "WafLogging", resource_arn=web_acl.attr_arn, log_destination_configs=[log_group_arn])
    logging.node.add_dependency(log_group)
    return RegionalWebAcl(web_acl=web_acl, log_group=log_group)
