"""One review: every part (resources, security, findings, cost) as one JSON-ready dictionary.

The markdown and JSON reports are two renderings of this same dictionary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from .. import __version__
from .assembly import Assembly, load_assembly
from .changeset import ANSWERS
from .diff import ADD, MAY_REPLACE, REMOVE, UPDATE, WILL_REPLACE, StackDiff, diff_assemblies, replacement_risk
from .findings import acknowledgments, compare, lint_findings, validation_findings
from .schema import data_version
from .security import iam_changes, settings_turned_off, sg_changes

# A cost estimator: assembly folder -> {stack id: (total, {line item: (monthly USD, how it was computed)})}.
CostFunction = Callable[[Path], dict[str, tuple[Decimal, dict[str, tuple[Decimal, str]]]]]


def _resources(diffs: list[StackDiff]) -> list[dict]:
    out = []
    for diff in diffs:
        out.append({
            "id": diff.id,
            "status": diff.status,
            "note": diff.note,
            "added": diff.count(ADD),
            "updated": diff.count(UPDATE),
            "replaced": diff.count(WILL_REPLACE, MAY_REPLACE),
            "removed": diff.count(REMOVE),
            "resources": [asdict(r) for r in diff.resources],
        })
    return out


def _cost(base: Path, head: Path, estimate: CostFunction) -> dict:
    before, after = estimate(base), estimate(head)
    stacks = []
    for stack_id in sorted(before.keys() | after.keys()):
        old_total, old_lines = before.get(stack_id, (Decimal(0), {}))
        new_total, new_lines = after.get(stack_id, (Decimal(0), {}))
        lines = []
        for item in sorted(old_lines.keys() | new_lines.keys()):
            (old, old_detail), (new, new_detail) = old_lines.get(item, (Decimal(0), "")), new_lines.get(item, (Decimal(0), ""))
            if old != new:
                lines.append({"item": item, "before": str(old), "after": str(new), "delta": str(new - old),
                              "before_detail": old_detail, "after_detail": new_detail})
        stacks.append({"stack": stack_id, "before": str(old_total), "after": str(new_total),
                       "delta": str(new_total - old_total), "lines": lines})
    delta = sum((Decimal(s["delta"]) for s in stacks), Decimal(0))
    return {"stacks": stacks, "delta": str(delta)}


def _apply_change_sets(diffs: list[StackDiff], answers: Mapping[str, Mapping[str, str]]) -> None:
    """CloudFormation's Replacement answer wins over the template comparison where it exists."""
    for diff in diffs:
        for change in diff.resources if diff.id in answers and diff.base and diff.head else []:
            answer = answers[diff.id].get(change.logical_id)
            if answer is None or change.action not in (UPDATE, MAY_REPLACE, WILL_REPLACE):
                continue
            action = ANSWERS.get(answer, change.action)
            if action != change.action:
                change.note = f"change set: Replacement={answer} (template comparison: {change.action})"
                change.action = action
            change.data_at_risk = replacement_risk(
                change.type, diff.base.resources[change.logical_id], diff.head.resources[change.logical_id], action
            ) if action in (MAY_REPLACE, WILL_REPLACE) else ""


def review(base_dir: str | Path, head_dir: str | Path, *, lint: bool = False,
           cost: CostFunction | None = None, cost_source: str = "",
           change_sets: Mapping[str, Mapping[str, str]] | None = None) -> dict:
    """Compare two cloud assemblies; raises ``AssemblyError`` when one cannot be read.

    :param lint: also compare cfn-lint findings; default off (about 3 s per large template).
    :param cost: per-stack monthly estimate of an assembly folder; default none (no cost section).
    :param change_sets: CloudFormation's Replacement answers by stack id and logical id; default none.
    """
    base: Assembly = load_assembly(base_dir)
    head: Assembly = load_assembly(head_dir)
    diffs = diff_assemblies(base, head)
    if change_sets:
        _apply_change_sets(diffs, change_sets)

    data_at_risk = [
        {"stack": d.id, "logical_id": r.logical_id, "type": r.type, "action": r.action, "reason": r.data_at_risk}
        for d in diffs for r in d.resources if r.data_at_risk
    ]
    iam, groups, settings = [], [], []
    for d in diffs:
        old = d.base.template if d.base else None
        new = d.head.template if d.head else None
        if d.status == "removed from app":
            continue
        for change in iam_changes(d.id, old, new):
            iam.append({"stack": change.stack, "change": change.change, "owner": change.statement.owner,
                        "kind": change.statement.kind, "statement": change.statement.describe(),
                        "effect": change.statement.effect, "actions": list(change.statement.actions),
                        "resources": list(change.statement.resources),
                        "principals": list(change.statement.principals),
                        "conditions": change.statement.conditions, "broadening": change.broadening})
        for rule in sg_changes(d.id, old, new):
            groups.append({"stack": rule.stack, "change": rule.change, "rule": rule.rule.describe(),
                           "open_to_world": rule.open_to_world, **asdict(rule.rule)})
        settings.extend(asdict(s) for s in settings_turned_off(d.id, old, new))

    acks = [{"status": c.status, **asdict(c.finding)} for c in compare(acknowledgments(base), acknowledgments(head))]
    old_findings, new_findings = validation_findings(base), validation_findings(head)
    if lint:
        old_findings |= lint_findings(base)
        new_findings |= lint_findings(head)
    findings = [{"status": c.status, **asdict(c.finding)} for c in compare(old_findings, new_findings)]

    cost_report = _cost(Path(base_dir), Path(head_dir), cost) if cost else None
    summary = {
        "stacks": len({d.id for d in diffs}),
        "stacks_changed": sum(1 for d in diffs if d.status != "unchanged"),
        "added": sum(d.count(ADD) for d in diffs),
        "updated": sum(d.count(UPDATE) for d in diffs),
        "replaced": sum(d.count(WILL_REPLACE, MAY_REPLACE) for d in diffs),
        "will_replace": sum(d.count(WILL_REPLACE) for d in diffs),
        "may_replace": sum(d.count(MAY_REPLACE) for d in diffs),
        "removed": sum(d.count(REMOVE) for d in diffs),
        "data_at_risk": len(data_at_risk),
        "iam_added": sum(1 for i in iam if i["change"] == "added"),
        "iam_removed": sum(1 for i in iam if i["change"] == "removed"),
        "iam_broadening": sum(1 for i in iam if i["broadening"]),
        "open_ingress": sum(1 for g in groups if g["change"] == "added" and g["open_to_world"] and g["direction"] == "ingress"),
        "settings_off": len(settings),
        "new_findings": sum(1 for f in findings if f["status"] == "new"),
        "new_acknowledgments": sum(1 for a in acks if a["status"] == "new"),
        "cost_delta_usd": cost_report["delta"] if cost_report else None,
    }
    return {
        "tool": f"stagelift review {__version__}",
        "base": str(base_dir),
        "head": str(head_dir),
        "data_sources": {"replacement": data_version(), "cost": cost_source or None, "lint": lint,
                         "change_sets": sorted(change_sets or {})},
        "summary": summary,
        "stacks": _resources(diffs),
        "data_at_risk": data_at_risk,
        "iam": iam,
        "security_groups": groups,
        "settings_off": settings,
        "acknowledgments": acks,
        "findings": findings,
        "cost": cost_report,
    }
