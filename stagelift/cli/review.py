"""``stagelift review BASE HEAD``: what a pull request's head assembly does to the base one.

Exit status: 0 when the policy passes, 1 when it fails, 2 on bad input (a folder that is not a
cloud assembly, a bad policy file) with one message and no traceback.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path

from ..review.assembly import AssemblyError, load_assembly
from ..review.changeset import ChangeSetError
from ..review.core import CostFunction, review
from ..review.policy import PolicyError, load_policy
from ..review.report import to_json, to_markdown


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "review", help="compare two cloud assemblies (cdk.out folders): resources, security, findings, cost",
        description="Compare two cloud assemblies (cdk.out folders) offline: what CloudFormation will add, update, "
                    "replace and delete, data at risk, IAM and security-group changes, cdk-nag acknowledgments, "
                    "cfn-lint findings (--lint) and the monthly cost delta.")
    parser.add_argument("base", metavar="BASE_ASSEMBLY", help="cdk.out folder of the base commit")
    parser.add_argument("head", metavar="HEAD_ASSEMBLY", help="cdk.out folder of the head commit")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="report format (default markdown)")
    parser.add_argument("--policy", metavar="FILE", help="YAML policy: what fails the review (default: data at risk, IAM broadening)")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of standard output")
    parser.add_argument("--full-report", metavar="FILE",
                        help="where the uncut markdown goes when the comment must be cut "
                             "(default: OUTPUT with .full.md, or stagelift-review.full.md)")
    parser.add_argument("--lint", action="store_true", help="also compare cfn-lint findings (about 3 s per large template)")
    parser.add_argument("--no-cost", action="store_true", help="skip the monthly cost estimate")
    parser.add_argument("--changeset", metavar="STACK", action="append", default=[],
                        help="with AWS credentials: ask CloudFormation for a change set of this head stack against "
                             "the deployed one and use its replacement answers (repeatable)")
    parser.add_argument("--region", default=None, help="region for --changeset (default: the AWS configuration's)")
    parser.set_defaults(handler=run)


def _cost() -> tuple[CostFunction, str]:
    """The pricing model's per-stack estimate (one line per item, summed over resources) and its dates."""
    from ..pricing import estimate_assembly, load_prices

    prices = load_prices()

    def estimate(directory: Path) -> dict[str, tuple[Decimal, dict[str, tuple[Decimal, str]]]]:
        return {stack: (result.total, {line.item: (line.monthly_usd, line.detail or "") for line in result.lines})
                for stack, result in estimate_assembly(directory, prices=prices).items()}

    dates = prices.dates()
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    return estimate, f"stagelift price list ({', '.join(prices.regions())}, prices obtained {when}) + usage assumptions"


def run(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(args.policy)
        cost, source = (None, "") if args.no_cost else _cost()
        answers = None
        if args.changeset:
            from ..review.changeset import change_set_answers

            answers = change_set_answers(load_assembly(args.head), args.changeset, region=args.region)
        result = review(args.base, args.head, lint=args.lint, cost=cost, cost_source=source, change_sets=answers)
    except (AssemblyError, PolicyError, ChangeSetError) as error:
        print(f"stagelift review: {error}", file=sys.stderr)
        return 2
    result["policy"] = policy.verdict(result["summary"])
    if args.format == "json":
        text = to_json(result)
    else:
        default_full = Path(args.output).with_suffix(".full.md") if args.output else Path("stagelift-review.full.md")
        full_path = Path(args.full_report) if args.full_report else default_full
        text = to_markdown(result, full_report=str(full_path))
        full = to_markdown(result, limit=sys.maxsize)
        if full != text:
            full_path.write_text(full)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    for violation in result["policy"]["violations"]:
        print(f"stagelift review: policy fails: {violation}", file=sys.stderr)
    return result["policy"]["exit_status"]
