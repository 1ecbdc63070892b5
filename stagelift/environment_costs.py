"""Per-service monthly cost of a Fargate service before and after service environments (README table).

Nothing here holds a price: three stacks are synthesized in one app and priced by
``stagelift.pricing`` with the dated price list and the default usage assumptions.

- **Before**: a standalone ``FargateService`` (development defaults: 2 Spot tasks of 0.5 vCPU /
  1 GB, HTTPS on its own name) with its own VPC, NAT gateway, load balancer, flow logs and
  cluster: its whole estimate, for every service.
- **After**, with N services in one environment: the ``ServiceEnvironment`` stack (2 zones,
  1 NAT gateway, WAF on, no EKS) priced with the traffic of N services (N times the load
  balancer LCUs, requests, NAT traffic and flow log volume each standalone service has), divided
  by N; plus the service's own part: the same service attached
  (``FargateService(shared_listener=...)`` on the environment's VPC, cluster and listener), whose
  stack holds only its tasks, target group, logs and their key, alarms and topic, and its
  listener rule (``ServiceRoute``, with its deploy-time check).

    python -m stagelift.environment_costs                 # print the table
    python -m stagelift.environment_costs --update README.md
    python -m stagelift.costs --update README.md          # the portal's tables and this one
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .generated_blocks import update_blocks
from .pricing import Assumptions, Estimate, estimate_template

REGION = "us-east-1"
REPO_ROOT = Path(__file__).resolve().parent.parent
BLOCK = "environment-costs"
SERVICE_COUNTS: tuple[int, ...] = (1, 3, 10, 30)
ZONE = {"hostedZoneId": "Z0123456789EXAMPLE", "hostedZoneName": "example.com"}
ENVIRONMENT = {"domainName": "services.example.com", **ZONE}
SERVICE = {"serviceName": "orders", "domainName": "orders.example.com", **ZONE}


@dataclass(frozen=True)
class Comparison:
    """The standalone and the attached service's estimates, and the environment's template."""

    standalone: Estimate
    own_part: Estimate
    environment_template: Mapping[str, Any]

    def environment(self, services: int) -> Estimate:
        """The environment's estimate carrying the traffic of ``services`` services."""
        return estimate_template(self.environment_template, region=REGION, assumptions=shared_usage(services, tasks=self.tasks))

    @property
    def tasks(self) -> Decimal:
        line = self.standalone.line("ECS Fargate tasks")
        return Decimal(line.detail.split(" ", 1)[0]) if line else Decimal(0)


def shared_usage(services: int, *, tasks: Decimal, base: Assumptions | None = None) -> Assumptions:
    """The default assumptions with the shared pieces' usage of ``services`` standalone services added up.

    Per service, as its own stack is priced: ``alb_lcu`` LCUs, ``requests_millions`` requests,
    internet egress plus its tasks' image pulls and AWS API traffic through the NAT gateway, and
    ``flow_log_gb`` of flow logs. The environment template runs no task itself, so the image
    pulls are folded into the egress figure.
    """
    a = base or Assumptions.defaults()
    n = Decimal(services)
    pulls = tasks * a.task_starts_per_task * a.image_gb
    return a.model_copy(
        update={
            "alb_lcu": a.alb_lcu * n,
            "requests_millions": a.requests_millions * n,
            "internet_egress_gb": (a.internet_egress_gb + pulls) * n,
            "aws_api_gb": a.aws_api_gb * n,
            "flow_log_gb": a.flow_log_gb * n,
        }
    )


def synthesize() -> Comparison:
    """The three stacks synthesized offline (no bundling) in one app, and priced."""
    import aws_cdk as cdk
    from aws_cdk import aws_ecs as ecs

    from .cdk_app import create_app
    from .config import FargateServiceConfig, ServiceEnvironmentConfig, validate
    from .constructs import FargateService, ServiceRoute, WeightedTarget
    from .stacks.service_environment_stack import ServiceEnvironmentStack
    from .zones import DeployTimeZonesStack

    app = create_app(REPO_ROOT, context={"aws:cdk:bundling-stacks": []})
    env = cdk.Environment(region=REGION)
    config = validate(FargateServiceConfig, SERVICE, "service")
    image = ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable")
    environment = ServiceEnvironmentStack(app, "Environment", config=validate(ServiceEnvironmentConfig, ENVIRONMENT, "environment"), env=env)
    standalone = DeployTimeZonesStack(app, "Standalone", env=env)
    FargateService(standalone, "Service", config=config, image=image)
    # Attached in the same app: the environment's own cluster object carries the Spot provider
    # the service's default capacity (Spot outside production) needs.
    shared = environment.service_environment
    attached = DeployTimeZonesStack(app, "Attached", env=env)
    service = FargateService(
        attached, "Service", config=config, image=image, vpc=shared.vpc, cluster=shared.cluster, shared_listener=shared.listener, shared_load_balancer_security_group=shared.security_group
    )
    # Its rule on the shared listener (and the deploy-time check): without one ECS refuses the service.
    ServiceRoute(
        attached,
        "Route",
        listener=shared.listener,
        service_name=config.service_name,
        host_name=f"{config.service_name}.{ENVIRONMENT['domainName']}",
        targets=[WeightedTarget("fargate", service.target_group, 100)],
    )
    assembly = app.synth()
    return compare(*(assembly.get_stack_by_name(s.stack_name).template for s in (environment, standalone, attached)))


def compare(environment_template: Mapping[str, Any], standalone_template: Mapping[str, Any], attached_template: Mapping[str, Any]) -> Comparison:
    estimates = [estimate_template(t, region=REGION) for t in (standalone_template, attached_template)]
    unpriced = [u for e in estimates for u in e.unpriced]
    if unpriced:
        raise ValueError("the price list lacks what a Fargate service needs:\n  - " + "\n  - ".join(unpriced))
    return Comparison(estimates[0], estimates[1], environment_template)


def markdown_table(comparison: Comparison, counts: Sequence[int] = SERVICE_COUNTS) -> str:
    before = comparison.standalone.total
    own = comparison.own_part.total
    shares = [comparison.environment(n).total / n for n in counts]
    money = lambda v: f"${v:,.2f}"  # noqa: E731
    rows = [
        "| Per service, per month | " + " | ".join(f"{n} service{'s' if n > 1 else ''}" for n in counts) + " |",
        "|---|" + "---:|" * len(counts),
        "| **Before**: own VPC, NAT gateway, load balancer, cluster | " + " | ".join(money(before) for _ in counts) + " |",
        "| After: share of the environment | " + " | ".join(money(s) for s in shares) + " |",
        "| After: the service's own part | " + " | ".join(money(own) for _ in counts) + " |",
        "| **After** | " + " | ".join(f"**{money(s + own)}**" for s in shares) + " |",
        "| Saved | " + " | ".join(f"{(before - s - own) / before:.0%}" if before else "—" for s in shares) + " |",
    ]
    own_items = ", ".join(f"{line.item} {money(line.monthly_usd)}" for line in comparison.own_part.lines)
    one = comparison.environment(1)
    shared_items = ", ".join(f"{line.item} {money(line.monthly_usd)}" for line in one.lines)
    notes = (
        f"\n\nThe service's own part: {own_items}. The environment alone (1 service's traffic): {shared_items}, "
        f"total {money(one.total)}. us-east-1 list prices; the standalone service has no WAF, the environment has one."
    )
    return "\n".join(rows) + notes


def update(path: Path, comparison: Comparison | None = None) -> bool:
    """Rewrite the table in ``path``; True when it changed."""
    return update_blocks(path, {BLOCK: markdown_table(comparison or synthesize())})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stagelift.environment_costs", description="Per-service monthly cost of a Fargate service before and after service environments.")
    parser.add_argument("--update", metavar="README", type=Path, help="rewrite the block between the environment-costs markers of this file")
    args = parser.parse_args(argv)
    if args.update is not None:
        print(f"{args.update}: {'updated' if update(args.update) else 'already up to date'}")
    else:
        print(markdown_table(synthesize()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
