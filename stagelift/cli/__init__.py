"""The ``stagelift`` command: thin argument parsing over the library (minimal; merged with ``review``'s)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import pricing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stagelift", description="Golden paths for Backstage on AWS.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    pricing.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
