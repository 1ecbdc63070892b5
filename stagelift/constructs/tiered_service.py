"""The one block a service stack uses to put its tiers behind its name on a service environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import jsii
from aws_cdk import IResolveContext, IStringProducer, Lazy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from constructs import Construct

from ..config.migration import TierMigration
from ..config.service import Tier
from .service_route import ServiceRoute, WeightedTarget


@jsii.implements(IStringProducer)
class _NeverNeeded:
    """A value that must never be rendered: fails synthesis with a clear message if it is."""

    def __init__(self, message: str) -> None:
        self._message = message

    def produce(self, _context: IResolveContext) -> str:
        raise ValueError(self._message)


class SharedFrontDoor(Protocol):
    """What a service needs from its service environment (``ServiceEnvironmentImport`` has these attributes)."""

    @property
    def listener(self) -> elbv2.IApplicationListener: ...
    @property
    def listener_arn(self) -> str: ...
    @property
    def hosted_zone(self) -> route53.IHostedZone: ...
    @property
    def domain_name(self) -> str: ...
    @property
    def load_balancer_dns_name(self) -> str: ...
    @property
    def load_balancer_canonical_hosted_zone_id(self) -> str: ...


def weighted_targets(
    target_groups: dict[Tier, elbv2.IApplicationTargetGroup], migration: TierMigration | None = None
) -> list[WeightedTarget]:
    """Each tier's target group with its weight: the migration's ``weights()``, or 100 for the only tier.

    Without a migration exactly one tier may run; with one, ``target_groups`` must hold both its tiers.
    """
    if migration is None:
        if len(target_groups) != 1:
            raise ValueError(
                f"target groups of {len(target_groups)} tiers ({', '.join(target_groups)}) but no migration: "
                "add infra/migration.json to split traffic between two tiers"
            )
        (tier, group), = target_groups.items()
        return [WeightedTarget(tier=tier, target_group=group, weight=100)]
    weights = migration.weights()
    missing = [tier for tier in weights if tier not in target_groups]
    if missing:
        raise ValueError(f"the migration {migration.from_tier} -> {migration.to_tier} needs a target group for {', '.join(missing)}")
    extra = [tier for tier in target_groups if tier not in weights]
    if extra:
        raise ValueError(f"target group for {', '.join(extra)}, which the migration {migration.from_tier} -> {migration.to_tier} does not name")
    return [WeightedTarget(tier=tier, target_group=target_groups[tier], weight=weight) for tier, weight in weights.items()]


class TieredService(Construct):
    """A service's front door on a service environment: ``<service>.<domain>`` -> its tiers by weight.

    Child ``Route`` (``route``: a ``ServiceRoute`` with an alias record in the environment's zone).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        environment: SharedFrontDoor,
        service_name: str,
        targets: Sequence[WeightedTarget],
        priority: int | None = None,
    ) -> None:
        """
        :param environment: the service environment (``ServiceEnvironmentImport`` or anything with its attributes).
        :param service_name: the service; its host is ``<service_name>.<environment.domain_name>``.
        :param targets: weighted target groups, e.g. ``weighted_targets({...}, migration)``.
        :param priority: listener rule priority; default ``listener_priority(service_name)``.
        """
        super().__init__(scope, id)
        self.host_name = f"{service_name}.{environment.domain_name}"
        self.route = ServiceRoute(
            self,
            "Route",
            listener=self._listener(environment, targets),
            service_name=service_name,
            host_name=self.host_name,
            targets=targets,
            priority=priority,
            zone=environment.hosted_zone,
            load_balancer_dns_name=environment.load_balancer_dns_name,
            load_balancer_canonical_hosted_zone_id=environment.load_balancer_canonical_hosted_zone_id,
        )

    def _listener(self, environment: SharedFrontDoor, targets: Sequence[WeightedTarget]) -> elbv2.IApplicationListener:
        """The environment's listener; for Lambda targets only, imported without its security group.

        The load balancer invokes a Lambda target without a network connection, so nothing opens
        the security group; importing it anyway would leave its SSM parameter unused in the
        template (cfn-lint W2001), the first step of every move up from Lambda.
        """
        if any(target.tier != "lambda" for target in targets):
            return environment.listener
        unused = _NeverNeeded(
            "a route to Lambda target groups only was asked for the load balancer's security group: "
            "give the tier of a non-Lambda target group its own tier name in WeightedTarget"
        )
        security_group = ec2.SecurityGroup.from_security_group_id(
            self, "LoadBalancerSecurityGroup", Lazy.string(unused), allow_all_outbound=True, mutable=False
        )
        return elbv2.ApplicationListener.from_application_listener_attributes(
            self, "Listener", listener_arn=environment.listener_arn, security_group=security_group
        )
