"""The ``stagelift`` command: thin argument parsing; every subcommand lives in its own module.

    stagelift review BASE_ASSEMBLY HEAD_ASSEMBLY [--format markdown|json] [--policy FILE] [--output FILE] [--lint]
    stagelift pricing refresh | estimate ...
    stagelift upgrade start --to fargate|eks | shift | rollback --reason TEXT | finish | status
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import pricing, review, upgrade


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stagelift", description="Golden paths for Backstage on AWS.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    review.register(subparsers)
    pricing.register(subparsers)
    upgrade.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
