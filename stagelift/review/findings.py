"""Findings of the checks that ran at synthesis (cdk-nag acknowledgments) and, on request, cfn-lint.

Each side is read from its own assembly and the two compared: new, fixed, unchanged. A finding
is keyed by its source, rule, the construct path of the resource it is about and its message, so
a logical id that changes with a refactor does not turn one finding into a fixed and a new one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .assembly import Assembly, StackTemplate, all_templates

ACK_TYPE = "aws:cdk:acknowledged-rules"  # {"Annotation::AwsSolutions-SQS3": "reason"}


@dataclass(frozen=True)
class Finding:
    source: str  # "cdk-nag" | "cfn-lint" | "cdk-validation"
    stack: str
    rule: str
    resource: str  # construct path or logical id
    message: str


@dataclass(frozen=True)
class FindingChange:
    status: str  # "new" | "fixed" | "unchanged"
    finding: Finding


def _ack_entries(stack: StackTemplate) -> list[Finding]:
    out = []
    for path, entries in stack.metadata.items():
        for entry in entries or []:
            if isinstance(entry, dict) and entry.get("type") == ACK_TYPE and isinstance(entry.get("data"), dict):
                for rule, reason in entry["data"].items():
                    out.append(Finding("cdk-nag", stack.id, rule.split("::")[-1], path.lstrip("/"), str(reason)))
    return out


def validation_findings(assembly: Assembly) -> set[Finding]:
    """What aws-cdk-lib's validation plugins reported without failing synthesis (validation-report.json):
    construct annotations (warnings) and CloudFormation rules."""
    stacks = list(assembly.stacks.values())
    out: set[Finding] = set()
    for report in (assembly.validation_report or {}).get("pluginReports", []):
        plugin = report.get("pluginName") or (report.get("summary") or {}).get("pluginName", "validation")
        for violation in report.get("violations", []):
            rule, message = violation.get("ruleName", ""), violation.get("description", "")
            for construct in violation.get("violatingConstructs") or []:
                path = construct.get("constructPath", "")
                stack = next((s.id for s in stacks if path.split("/")[0] in (s.id, s.display_name)), "")
                out.add(Finding(plugin, stack, rule.removeprefix("Annotation::"), path, message))
            for resource in violation.get("violatingResources") or []:
                template = str(resource.get("templatePath", ""))
                stack = next((s.id for s in stacks if s.template_file and template.endswith(s.template_file)), template)
                out.add(Finding(plugin, stack, rule, resource.get("resourceLogicalId", ""), message))
    return out


def acknowledgments(assembly: Assembly) -> set[Finding]:
    """Every acknowledgment (cdk-nag 3 ``Validations.of(c).acknowledge``) recorded in the assembly."""
    return {f for stack in assembly.stacks.values() for f in _ack_entries(stack)}


def lint_findings(assembly: Assembly) -> set[Finding]:
    """cfn-lint's errors and warnings on every template, in the stack's region (about 3 s per large template)."""
    from cfnlint.api import ManualArgs, lint  # imported late: only with --lint

    out: set[Finding] = set()
    for top in assembly.stacks.values():
        for stack in all_templates(top):
            paths = {lid: (r.get("Metadata") or {}).get("aws:cdk:path", lid) for lid, r in stack.resources.items()}
            for match in lint(json.dumps(stack.template), config=ManualArgs(regions=[top.region])):
                path = list(getattr(match, "path", None) or [])
                lid = str(path[1]) if len(path) > 1 and path[0] == "Resources" else ""
                out.add(Finding("cfn-lint", stack.id, match.rule.id, paths.get(lid, lid), match.message))
    return out


def compare(base: set[Finding], head: set[Finding]) -> list[FindingChange]:
    out = [FindingChange("new", f) for f in sorted(head - base, key=_key)]
    out += [FindingChange("fixed", f) for f in sorted(base - head, key=_key)]
    out += [FindingChange("unchanged", f) for f in sorted(base & head, key=_key)]
    return out


def _key(f: Finding) -> tuple[str, ...]:
    return (f.stack, f.rule, f.resource, f.message)
