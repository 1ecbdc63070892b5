"""Review checks for synthesized stacks: cdk-nag AwsSolutions findings and cfn-lint errors.

Used by the test suite, the examples' tests and generated service repositories, so every
template is held to the same bar. cdk-nag and cfn-lint are dev dependencies: imported lazily.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from aws_cdk import Stack
from constructs import IConstruct


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.path}: {self.message}"


def nag_findings(scope: IConstruct) -> list[Finding]:
    """Unacknowledged AwsSolutions errors and warnings under ``scope`` (empty = clean)."""
    from cdk_nag import AwsSolutionsChecks

    report = AwsSolutionsChecks().validate_scope(scope)
    return [
        Finding(violation.rule_name, resource.construct_path, violation.description)
        for violation in report.violations
        for resource in violation.violating_resources
    ]


def cfn_lint_errors(template: Mapping[str, object] | Stack, regions: tuple[str, ...] = ("us-east-1", "eu-west-1")) -> list[str]:
    """cfn-lint errors (not warnings or informational) for a synthesized template."""
    return cfn_lint_findings(template, regions, levels=("E",))


def cfn_lint_findings(
    template: Mapping[str, object] | Stack, regions: tuple[str, ...] = ("us-east-1", "eu-west-1"), levels: tuple[str, ...] = ("E", "W")
) -> list[str]:
    """cfn-lint findings whose rule id starts with one of ``levels`` (default errors and warnings,
    what makes the ``cfn-lint`` command exit non-zero)."""
    from cfnlint.api import ManualArgs, lint_file

    if isinstance(template, Stack):
        from aws_cdk.assertions import Template

        template = Template.from_stack(template).to_json()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "template.json")
        path.write_text(json.dumps(template))
        matches = lint_file(path, config=ManualArgs(regions=list(regions)))
    return [f"{m.rule.id} {m.message} ({'/'.join(str(p) for p in m.path)})" for m in matches if m.rule.id.startswith(levels)]
