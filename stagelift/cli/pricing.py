"""``stagelift pricing``: refresh the dated price list, estimate a cloud assembly."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config.errors import ConfigError
from ..pricing import estimate_assembly, load_assumptions, load_prices
from ..pricing.refresh import RefreshError, pricing_client, refresh


def register(subparsers: Any, *, client_factory: Callable[[], Any] | None = None) -> None:
    """Add ``pricing refresh`` and ``pricing estimate`` to the ``stagelift`` parser.

    :param client_factory: builds the boto3 ``pricing`` client; default a client from the
        default session (tests pass a stubbed one).
    """
    parser = subparsers.add_parser("pricing", help="the dated price list and monthly estimates")
    commands = parser.add_subparsers(dest="pricing_command", required=True)

    refresh_parser = commands.add_parser("refresh", help="rewrite the price list from the AWS Price List API (needs credentials)")
    refresh_parser.add_argument("--prices", type=Path, default=None, help="price list to refresh (default: the one shipped in stagelift/pricing)")
    refresh_parser.add_argument("--dry-run", action="store_true", help="print what would change, write nothing")
    refresh_parser.set_defaults(handler=lambda args: _refresh(args, client_factory or pricing_client))

    estimate_parser = commands.add_parser("estimate", help="monthly estimate of every stack of a cloud assembly (cdk.out)")
    estimate_parser.add_argument("assembly", type=Path, help="cdk.out folder")
    estimate_parser.add_argument("--assumptions", type=Path, default=None, help="YAML file overriding usage assumptions")
    estimate_parser.add_argument("--region", default="us-east-1", help="region whose prices apply (default us-east-1)")
    estimate_parser.set_defaults(handler=_estimate)


def _refresh(args: argparse.Namespace, client_factory: Callable[[], Any]) -> int:
    prices = load_prices(args.prices)
    try:
        report = refresh(prices, client_factory())
    except RefreshError as error:
        print(f"stagelift pricing refresh: {error}", file=sys.stderr)
        return 1
    for key, old, new in report.changed:
        print(f"{key}: {old} -> {new}")
    print(f"{len(report.refreshed)} prices read from the AWS Price List API, {len(report.changed)} changed, "
          f"{len(report.derived)} derived, {len(report.kept)} kept (no query: {', '.join(report.kept) or 'none'})")
    if not args.dry_run:
        print(f"written: {report.prices.save(args.prices or prices.path)}")
    return 0


def _estimate(args: argparse.Namespace) -> int:
    try:
        assumptions = load_assumptions(args.assumptions)
        estimates = estimate_assembly(args.assembly, region=args.region, assumptions=assumptions)
    except (ConfigError, ValueError, KeyError) as error:
        print(f"stagelift pricing estimate: {error}", file=sys.stderr)
        return 1
    for stack, est in estimates.items():
        print(f"{stack}: ${est.total:,.2f} a month")
        for line in est.lines:
            print(f"  {line.item:<28} ${line.monthly_usd:>9,.2f}  {line.detail}")
        for text in est.unpriced:
            print(f"  not priced: {text}")
    return 0
