"""One front door per service on a shared load balancer: a host-based rule forwarding by weight across tiers.

An Application Load Balancer forward action splits traffic by weight across target groups of
any type (instance, IP and Lambda together: AWS, "Application Load Balancer simplifies
deployment with weighted target groups", 2019-11-19), so a service moving from Lambda to Fargate
to EKS keeps one name while its traffic shifts. What one service stack cannot know at synthesis
(the rules other services put on the shared listener) is checked when it deploys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jsii
from aws_cdk import CustomResource, Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from constructs import Construct

from ..config.service import Tier
from .dependencies import drop_function_role_dependencies
from .nag import acknowledge, default_policy

FUNCTION_DIR = Path(__file__).resolve().parent.parent / "functions" / "listener_rule_check"
RUNTIME = lambda_.Runtime.PYTHON_3_14

# ALB listener rule priorities are 1-50000 (lower is evaluated first). Services get theirs from
# a hash of their name in [PRIORITY_FIRST, PRIORITY_LAST]; 1-999 and 49000-50000 stay free for
# rules the platform team writes by hand (before and after every service).
MIN_PRIORITY, MAX_PRIORITY = 1, 50000
PRIORITY_FIRST, PRIORITY_LAST = 1000, 48999
# "Quotas for your Application Load Balancers": target groups per forward action (not adjustable).
MAX_TARGET_GROUPS_PER_ACTION = 5
MAX_WEIGHT = 999


@dataclass(frozen=True)
class WeightedTarget:
    """One tier's target group and its share of the service's traffic (ALB weights 0-999; stagelift uses percentages)."""

    tier: Tier
    target_group: elbv2.IApplicationTargetGroup
    weight: int


def listener_priority(service_name: str) -> int:
    """The listener rule priority of ``service_name``: a stable hash (SHA-256) into 1000-48999.

    The same name gives the same priority in every stack, process and Python version, so
    services deployed independently agree without a registry; two names may still collide
    (about 1 in 48000 per pair), which the deploy-time check reports: pass ``priority``.
    """
    digest = int.from_bytes(hashlib.sha256(service_name.encode()).digest()[:8], "big")
    return PRIORITY_FIRST + digest % (PRIORITY_LAST - PRIORITY_FIRST + 1)


def check_targets(targets: Sequence[WeightedTarget], priority: int) -> None:
    """Raise one ValueError naming the bad value and what the load balancer allows."""
    if not targets:
        raise ValueError("targets is empty: a service route forwards to at least one tier's target group")
    if len(targets) > MAX_TARGET_GROUPS_PER_ACTION:
        tiers = ", ".join(t.tier for t in targets)
        raise ValueError(
            f"targets has {len(targets)} target groups ({tiers}): an Application Load Balancer forward action takes at most "
            f"{MAX_TARGET_GROUPS_PER_ACTION}"
        )
    tiers = [t.tier for t in targets]
    duplicates = sorted({t for t in tiers if tiers.count(t) > 1})
    if duplicates:
        raise ValueError(f"targets names the tier {', '.join(duplicates)} more than once: give each tier one target group")
    for target in targets:
        if not 0 <= target.weight <= MAX_WEIGHT:
            raise ValueError(f"weight = {target.weight} for tier {target.tier}: a target group's weight is 0-{MAX_WEIGHT}")
    if sum(t.weight for t in targets) == 0:
        raise ValueError(f"every weight is 0 ({', '.join(tiers)}): at least one tier must receive traffic")
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        raise ValueError(f"priority = {priority}: listener rule priorities are {MIN_PRIORITY}-{MAX_PRIORITY}")




def container_health_check(path: str) -> elbv2.HealthCheck:
    """The load balancer's health check of a container service (Fargate tasks, EKS pods) on ``path``."""
    return elbv2.HealthCheck(path=path, healthy_http_codes="200-399", interval=Duration.seconds(15), healthy_threshold_count=2, unhealthy_threshold_count=3)


def ip_target_group(
    scope: Construct, id: str, *, vpc: ec2.IVpc, port: int, health_check_path: str, targets: Sequence[elbv2.IApplicationLoadBalancerTarget] | None = None
) -> elbv2.ApplicationTargetGroup:
    """The IP target group a container tier puts behind a shared listener's weighted rule.

    IP targets, because both Fargate tasks (awsvpc) and EKS pods (filled in by the AWS Load
    Balancer Controller's TargetGroupBinding) are addressed by their own IPs; 30 s deregistration
    delay, so a shift or scale-in drains quickly.
    """
    return elbv2.ApplicationTargetGroup(
        scope,
        id,
        vpc=vpc,
        target_type=elbv2.TargetType.IP,
        port=port,
        protocol=elbv2.ApplicationProtocol.HTTP,
        targets=list(targets) if targets else None,
        deregistration_delay=Duration.seconds(30),
        health_check=container_health_check(health_check_path),
    )


@jsii.implements(route53.IAliasRecordTarget)
class LoadBalancerAlias:
    """Alias target for a load balancer known only by its DNS name and canonical hosted zone (deploy-time values)."""

    def __init__(self, dns_name: str, canonical_hosted_zone_id: str) -> None:
        self._dns_name = dns_name
        self._zone_id = canonical_hosted_zone_id

    def bind(self, _record: route53.IRecordSet, _zone: route53.IHostedZone | None = None) -> route53.AliasRecordTargetConfig:
        # The "dualstack." form, as aws-cdk-lib's LoadBalancerTarget writes it.
        return route53.AliasRecordTargetConfig(dns_name=f"dualstack.{self._dns_name}", hosted_zone_id=self._zone_id)


class ServiceRoute(Construct):
    """A service's rule on a shared HTTPS listener: ``host_name`` forwarded by weight to its tiers' target groups.

    Children (ids are public contract): ``Check`` (deploy-time check, ``check``), ``Rule``
    (``rule``), ``Alias`` (``alias_record``, only with ``zone``). The rule depends on the check,
    so a deployment that the shared load balancer cannot take fails before anything changes,
    with a message naming the rule in the way (priority taken by another service's host, the
    load balancer's rules or target groups quota reached).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        listener: elbv2.IApplicationListener,
        service_name: str,
        host_name: str,
        targets: Sequence[WeightedTarget],
        priority: int | None = None,
        zone: route53.IHostedZone | None = None,
        load_balancer_dns_name: str | None = None,
        load_balancer_canonical_hosted_zone_id: str | None = None,
    ) -> None:
        """
        :param listener: the shared HTTPS listener (e.g. ``from_application_listener_attributes``).
        :param service_name: the service; names the priority and the check's resources.
        :param host_name: the service's name on the load balancer, e.g. ``orders.services.example.com``.
        :param targets: each tier's target group and weight: at most 5, one per tier, not all 0.
        :param priority: listener rule priority 1-50000; default ``listener_priority(service_name)``.
        :param zone: hosted zone for an alias record ``host_name`` -> the load balancer; default no record.
        :param load_balancer_dns_name: the load balancer's DNS name; required with ``zone``.
        :param load_balancer_canonical_hosted_zone_id: the load balancer's canonical hosted zone id; required with ``zone``.
        """
        super().__init__(scope, id)
        self.priority = listener_priority(service_name) if priority is None else priority
        check_targets(targets, self.priority)
        if zone is not None and (load_balancer_dns_name is None or load_balancer_canonical_hosted_zone_id is None):
            raise ValueError("zone was given without load_balancer_dns_name and load_balancer_canonical_hosted_zone_id: the alias record needs both")
        self.host_name = host_name
        self.targets = tuple(targets)

        self.check = self._check(listener, service_name)
        self.rule = elbv2.ApplicationListenerRule(
            self,
            "Rule",
            listener=listener,
            priority=self.priority,
            conditions=[elbv2.ListenerCondition.host_headers([host_name])],
            action=elbv2.ListenerAction.weighted_forward(
                [elbv2.WeightedTargetGroup(target_group=t.target_group, weight=t.weight) for t in targets]
            ),
        )
        # Nothing changes on the shared listener unless the check passed.
        self.rule.node.add_dependency(self.check)

        self.alias_record: route53.ARecord | None = None
        if zone is not None:
            self.alias_record = route53.ARecord(
                self,
                "Alias",
                zone=zone,
                record_name=host_name,
                target=route53.RecordTarget.from_alias(LoadBalancerAlias(load_balancer_dns_name, load_balancer_canonical_hosted_zone_id)),  # type: ignore[arg-type]
            )

    def _check(self, listener: elbv2.IApplicationListener, service_name: str) -> CustomResource:
        # The generated handlers' DependsOn on their own role is implied by GetAtt Role.Arn (cfn-lint W3005).
        drop_function_role_dependencies(self)
        log_group = logs.LogGroup(self, "CheckLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY)
        role = iam.Role(
            self,
            "CheckRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Reads the shared listener's rules and target groups before {service_name}'s rule is deployed",
        )
        log_group.grant_write(role)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeRules",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeAccountLimits",
                ],
                resources=["*"],
            )
        )
        acknowledge(
            default_policy(role),
            "AwsSolutions-IAM5[Resource::*]",
            "Elastic Load Balancing's Describe* actions support no resource-level permissions; the role can only read.",
        )
        self.check_function = lambda_.Function(
            self,
            "CheckFunction",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(FUNCTION_DIR), exclude=["__pycache__", "*.pyc", "__init__.py"]),
            description=f"Checks the shared listener can take {service_name}'s rule (runs at deploy time)",
            timeout=Duration.minutes(1),
            memory_size=128,
            role=role,
            log_group=log_group,
        )
        return CustomResource(
            self,
            "Check",
            service_token=self.check_function.function_arn,
            resource_type="Custom::ListenerRuleCheck",
            properties={
                "ListenerArn": listener.listener_arn,
                "Priority": str(self.priority),
                "HostName": self.host_name,
                "TargetGroupArns": [t.target_group.target_group_arn for t in self.targets],
                # New code runs again on the next deploy, even when nothing else changed.
                "CodeHash": hashlib.sha256((FUNCTION_DIR / "index.py").read_bytes()).hexdigest(),
            },
        )
