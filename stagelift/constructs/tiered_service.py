"""The one block a service stack uses to put its tiers behind its name on a service environment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from constructs import Construct

from ..config.migration import TierMigration
from ..config.service import Tier
from .service_route import ServiceRoute, WeightedTarget


class SharedFrontDoor(Protocol):
    """What a service needs from its service environment (``ServiceEnvironmentImport`` has these attributes)."""

    @property
    def listener(self) -> elbv2.IApplicationListener: ...
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
            listener=environment.listener,
            service_name=service_name,
            host_name=self.host_name,
            targets=targets,
            priority=priority,
            zone=environment.hosted_zone,
            load_balancer_dns_name=environment.load_balancer_dns_name,
            load_balancer_canonical_hosted_zone_id=environment.load_balancer_canonical_hosted_zone_id,
        )
