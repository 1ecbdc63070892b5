"""The portal's README cost tables: each profile synthesized and priced by ``stagelift.pricing``.

Nothing here computes a cost: every profile's stack is synthesized (with an image tag, so the
service runs its ``desiredCount`` tasks) and its template goes through ``estimate_template``
with the dated price list and the default usage assumptions, the same model ``stagelift review``
uses for any stack. This module only picks the profiles and renders the tables.

    python -m stagelift.costs                      # the README tables for the three profiles
    python -m stagelift.costs --explain production # one profile's lines with their arithmetic
    python -m stagelift.costs --update README.md   # also the service environment table, when README has its block
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .config.portal import ENVIRONMENTS, PortalConfig
from .generated_blocks import read_block, update_blocks
from .pricing import Assumptions, CostLine, Estimate, PriceList, estimate_template, load_prices
from .pricing.estimate import fmt

REGION = "us-east-1"
REPO_ROOT = Path(__file__).resolve().parent.parent

EXAMPLE_DNS: dict[str, object] = {"domainName": "backstage.example.com", "hostedZoneId": "Z0123456789EXAMPLE", "hostedZoneName": "example.com"}
# Any tag: the stack then runs desiredCount tasks, as it does once an image is pushed.
EXAMPLE_IMAGE_TAG = "v1"

NOT_COUNTED = (
    "Route 53 hosted zone (yours already) and alias queries to the load balancer (free)",
    "ACM public certificate (free)",
    "Data transfer to the internet (the first 100 GB a month of an account are free)",
    "Cross-AZ traffic, and the NAT instance's data transfer",
    "RDS backups up to the database's size, Performance Insights with 7 days' retention (free)",
    "The S3 gateway endpoint (free) and Fargate ephemeral storage up to 20 GB (included)",
    "T3 database CPU credits above the baseline (unlimited mode)",
    "The database's hosted rotation Lambda (created at deploy time by the Secrets Manager transform): cents",
    "Free tiers shared by the whole account (Lambda, SNS, S3 ...) are not subtracted",
)


@dataclass(frozen=True)
class ProfileEstimate:
    """One profile's estimate: ``estimate`` is what ``estimate_template`` returned for its stack."""

    environment: str
    estimate: Estimate

    @property
    def items(self) -> list[CostLine]:
        return self.estimate.lines

    @property
    def total(self) -> Decimal:
        return self.estimate.total

    def item(self, name: str) -> CostLine | None:
        return self.estimate.line(name)

    def cost(self, name: str) -> Decimal:
        return self.estimate.cost(name)


Synthesizer = Callable[[Mapping[str, object]], Mapping[str, Any]]


def profile_context(environment: str, **overrides: object) -> dict[str, object]:
    """The context of a profile's defaults (staging and production with an example domain), plus ``overrides``."""
    context: dict[str, object] = {"environment": environment, "imageTag": EXAMPLE_IMAGE_TAG}
    if environment != "development":
        context.update(EXAMPLE_DNS)
    context.update(overrides)
    return context


def synthesize(context: Mapping[str, object]) -> dict[str, Any]:
    """The portal stack's template for ``context`` (offline; no asset bundling)."""
    import aws_cdk as cdk  # the pricing model itself never needs aws-cdk-lib: only this view does

    from .cdk_app import create_app
    from .config import load_portal_config
    from .stacks.portal_stack import PortalStack

    app: cdk.App = create_app(REPO_ROOT, context={"aws:cdk:bundling-stacks": [], **context})
    stack = PortalStack(app, config=load_portal_config(app.node.get_all_context()))
    return dict(app.synth().get_stack_by_name(stack.stack_name).template)


def price_template(environment: str, template: Mapping[str, Any], *, prices: PriceList | None = None, assumptions: Assumptions | None = None) -> ProfileEstimate:
    """The profile's estimate; a resource with no price in the list is an error here (never a silent $0)."""
    est = estimate_template(template, region=REGION, prices=prices, assumptions=assumptions)
    if est.unpriced:
        raise ValueError("the price list lacks what the portal needs:\n  - " + "\n  - ".join(est.unpriced))
    return ProfileEstimate(environment, est)


def estimate(config: PortalConfig) -> ProfileEstimate:
    """The monthly cost of the portal ``config`` describes: its stack synthesized and priced."""
    from .cdk_app import create_app
    from .stacks.portal_stack import PortalStack

    app = create_app(REPO_ROOT, context={"aws:cdk:bundling-stacks": []})
    stack = PortalStack(app, config=config)
    return price_template(config.environment, app.synth().get_stack_by_name(stack.stack_name).template)


def profile_estimates(environments: Iterable[str] = ENVIRONMENTS, *, synthesizer: Synthesizer = synthesize) -> list[ProfileEstimate]:
    """Estimates of the profiles' defaults; ``synthesizer`` lets tests reuse their synthesized stacks."""
    return [price_template(env, synthesizer(profile_context(env))) for env in environments]


# --- tables -------------------------------------------------------------------------------------------


def markdown_table(estimates: Sequence[ProfileEstimate]) -> str:
    """One row per line item, one column per estimate: ``$cost (what)``; a total row at the end."""
    names: list[str] = []
    for est in estimates:
        names.extend(i.item for i in est.items if i.item not in names)
    header = "| Item | " + " | ".join(e.environment for e in estimates) + " |"
    rule = "|---|" + "---:|" * len(estimates)
    rows = [header, rule]
    for name in names:
        cells = []
        for est in estimates:
            item = est.item(name)
            cells.append("—" if item is None else f"${item.monthly_usd:,.2f} ({item.detail})")
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    rows.append("| **Total per month** | " + " | ".join(f"**${e.total:,.2f}**" for e in estimates) + " |")
    return "\n".join(rows)


def price_table(prices: PriceList | None = None, keys: Iterable[str] | None = None) -> str:
    """The unit prices (``keys``: those the tables used; default all), with how and when each was obtained."""
    prices = prices or load_prices()
    wanted = set(keys) if keys is not None else None
    rows = [f"| Price ({REGION}) | USD | Unit | Obtained | Source |", "|---|---:|---|---|---|"]
    for p in prices:
        if p.region != REGION or (wanted is not None and p.key not in wanted):
            continue
        rows.append(f"| `{p.key}` | {p.value} | {p.description} | {p.method}, {p.obtained} | {p.source} |")
    return "\n".join(rows)


def methods_list(prices: PriceList | None = None) -> str:
    prices = prices or load_prices()
    used = {p.method for p in prices}
    return "\n".join(f"- `{m}`: {text}" for m, text in prices.methods.items() if m in used)


def assumptions_list(assumptions: Assumptions | None = None) -> str:
    a = assumptions or Assumptions.defaults()
    lines = [
        f"- {fmt(a.monthly_active_users)} monthly active users; {fmt(a.requests_millions)} M requests a month; {fmt(a.alb_lcu)} LCU on average",
        f"- {fmt(a.internet_egress_gb)} GB a month from the tasks to the internet; a {fmt(a.image_gb)} GB image pulled "
        f"{fmt(a.task_starts_per_task)} times a month per task; {fmt(a.aws_api_gb)} GB of AWS API traffic",
        f"- Logs a month: {fmt(a.log_gb_per_task)} GB per task, {fmt(a.database_log_gb)} GB from the database, "
        f"{fmt(a.flow_log_gb)} GB of flow logs, {fmt(a.waf_log_kb_per_request)} KB of WAF log per request",
        f"- {fmt(a.ecr_gb)} GB of images in ECR, {fmt(a.s3_gb)} GB per S3 bucket; tasks running all month at `desiredCount` (no autoscaling peaks)",
        "- Every value: `stagelift/pricing/assumptions.yaml`. Not counted: " + "; ".join(NOT_COUNTED) + ".",
    ]
    return "\n".join(lines)


def prices_block(estimates: Sequence[ProfileEstimate]) -> str:
    used = _used_keys(estimates)
    total = len([p for p in load_prices() if p.region == REGION])
    return (
        price_table(keys=used)
        + f"\n\nThe {len(used)} prices above are those the tables use; the whole list ({total} prices, every tier) is "
        "`stagelift/pricing/prices.json`.\n\nHow each price was obtained:\n\n"
        + methods_list()
        + "\n\nAssumptions, the same for every profile:\n\n"
        + assumptions_list()
    )


def _used_keys(estimates: Sequence[ProfileEstimate]) -> set[str]:
    """The price keys the estimates read."""
    return {key for est in estimates for key in est.estimate.prices_used}


def generated_blocks(estimates: Sequence[ProfileEstimate] | None = None) -> dict[str, str]:
    """What goes between each pair of README markers."""
    estimates = list(estimates) if estimates is not None else profile_estimates()
    return {"costs": markdown_table(estimates), "prices": prices_block(estimates)}


def readme_block(text: str, name: str) -> str:
    """The text between the ``name`` markers (``costs`` or ``prices``) of ``text``."""
    return read_block(text, name)


def update_readme(path: Path) -> bool:
    """Rewrite the generated blocks of ``path``; True if anything changed."""
    changed = update_blocks(path, generated_blocks())
    return _update_environment_costs(path) or changed


def _update_environment_costs(path: Path) -> bool:
    """The service environment cost table too, where ``path`` has its block (``stagelift.environment_costs``)."""
    from . import environment_costs

    if "<!-- {}:start -->".format(environment_costs.BLOCK) not in path.read_text():
        return False
    return environment_costs.update(path)


def main(argv: Sequence[str] | None = None, *, synthesizer: Synthesizer = synthesize) -> int:
    parser = argparse.ArgumentParser(prog="python -m stagelift.costs", description="Monthly cost of each portal profile (us-east-1 list prices), from its synthesized stack.")
    parser.add_argument("--update", metavar="README", type=Path, help="rewrite the generated blocks between the costs/prices markers of this file")
    parser.add_argument("--explain", choices=ENVIRONMENTS, help="print one profile's line items with their arithmetic")
    args = parser.parse_args(argv)
    if args.explain is not None:
        (est,) = profile_estimates([args.explain], synthesizer=synthesizer)
        for item in est.items:
            print(f"{item.item:<28} ${item.monthly_usd:>9,.2f}  {item.why}")
        print(f"{'Total':<28} ${est.total:>9,.2f}")
        for note in est.estimate.notes:
            print(f"note: {note}")
        return 0
    estimates = profile_estimates(synthesizer=synthesizer)
    blocks = generated_blocks(estimates)
    if args.update is not None:
        changed = update_blocks(args.update, blocks)
        changed = _update_environment_costs(args.update) or changed
        print(f"{args.update}: {'updated' if changed else 'already up to date'}")
        return 0
    print(blocks["costs"])
    print()
    print(blocks["prices"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
