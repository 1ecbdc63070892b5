"""What a deploy of the head assembly does to the resources of the base one.

Stacks pair by artifact id, resources by logical id: CloudFormation knows a resource only by its
logical id, so a resource whose logical id changed is deleted and a new one created, even when
its construct path (``aws:cdk:path`` metadata) shows it is "the same" construct. Such pairs are
reported as a removal plus an addition, each naming the other. A modified resource is an
update, or a replacement when a create-only property changes (``schema``); a replacement changes
the physical id and attributes every ``Ref`` / ``Fn::GetAtt`` / ``Fn::Sub`` of it reads, which is
propagated to the resources that read them until nothing more changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..stateful import STATEFUL_TYPES
from .assembly import NESTED_STACK_TYPE, Assembly, StackTemplate
from .intrinsics import mark, references, render
from .assembly import all_templates
from .schema import prefetch, replacement_of, type_rules

# Resource-level attributes that change what CloudFormation does (Metadata does not).
ATTRIBUTES = ("Type", "DeletionPolicy", "UpdateReplacePolicy", "DependsOn", "Condition", "UpdatePolicy", "CreationPolicy")
KEEPS_DATA = {"Retain", "Snapshot", "RetainExceptOnCreate"}


ADD, REMOVE, UPDATE, MAY_REPLACE, WILL_REPLACE = "add", "remove", "update", "may replace", "will replace"


@dataclass
class PropertyChange:
    path: str
    old: str | None
    new: str | None


@dataclass
class ResourceChange:
    logical_id: str
    type: str
    action: str
    path: str | None = None
    changes: list[PropertyChange] = field(default_factory=list)
    because: list[str] = field(default_factory=list)  # create-only properties / replaced references
    note: str = ""
    data_at_risk: str = ""


@dataclass
class StackDiff:
    id: str
    status: str  # "added", "removed", "changed", "unchanged"
    resources: list[ResourceChange] = field(default_factory=list)
    note: str = ""
    # The two templates, for the security and findings passes.
    base: StackTemplate | None = None
    head: StackTemplate | None = None

    def count(self, *actions: str) -> int:
        return sum(1 for r in self.resources if r.action in actions)


def cdk_path(resource: dict) -> str | None:
    return (resource.get("Metadata") or {}).get("aws:cdk:path")


def _short(value: object, limit: int = 120) -> str:
    text = render(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def property_changes(old: object, new: object, prefix: str = "", depth: int = 0) -> list[PropertyChange]:
    """Leaf-level differences (lists of equal length compared item by item), as short texts."""
    if old == new:
        return []
    if depth < 6 and isinstance(old, dict) and isinstance(new, dict) and not _is_intrinsic(old) and not _is_intrinsic(new):
        out: list[PropertyChange] = []
        for key in sorted(old.keys() | new.keys()):
            sub = f"{prefix}.{key}" if prefix else key
            if key not in old:
                out.append(PropertyChange(sub, None, _short(new[key])))
            elif key not in new:
                out.append(PropertyChange(sub, _short(old[key]), None))
            else:
                out.extend(property_changes(old[key], new[key], sub, depth + 1))
        return out
    if depth < 6 and isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out.extend(property_changes(a, b, f"{prefix}[{i}]", depth + 1))
        return out
    return [PropertyChange(prefix, _short(old), _short(new))]


def _is_intrinsic(value: dict) -> bool:
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref", "<"))


def _name_property(resource_type: str, props: dict) -> str | None:
    """The custom physical name a resource is given, if any (a create-only ``...Name`` or primary identifier)."""
    rules = type_rules(resource_type)
    candidates = {p[0] for p in rules.create_only if len(p) == 1 and (p[0].endswith("Name") or p in rules.primary_identifier)}
    for name in sorted(candidates):
        if isinstance(props.get(name), str):
            return name
    return None


def _removal_risk(resource: dict) -> str:
    policy = resource.get("DeletionPolicy", "Delete")
    if resource.get("Type") in STATEFUL_TYPES and policy not in KEEPS_DATA:
        return f"deleted with its data (DeletionPolicy {policy})"
    return ""


def replacement_risk(resource_type: str, old: dict, new: dict, action: str) -> str:
    risks = []
    policy = new.get("UpdateReplacePolicy", "Delete")
    if resource_type in STATEFUL_TYPES and policy not in KEEPS_DATA:
        verb = "replaced" if action == WILL_REPLACE else "may be replaced"
        risks.append(f"{verb} and the old one deleted with its data (UpdateReplacePolicy {policy})")
    old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
    name = _name_property(resource_type, new_props)
    if name and old_props.get(name) == new_props.get(name):
        risks.append(f"custom name {name}={new_props[name]!r}: CloudFormation cannot replace a custom-named resource (the update fails)")
    return "; ".join(risks)


def _classify(old: dict, new_marked: dict) -> tuple[str, list[str], list[PropertyChange]]:
    changes: list[PropertyChange] = []
    for attribute in ATTRIBUTES:
        if old.get(attribute) != new_marked.get(attribute):
            changes.append(PropertyChange(attribute, _short(old.get(attribute)) if attribute in old else None,
                                          _short(new_marked.get(attribute)) if attribute in new_marked else None))
    old_props, new_props = old.get("Properties") or {}, new_marked.get("Properties") or {}
    changes.extend(property_changes(old_props, new_props))
    if not changes:
        return "", [], []
    if old.get("Type") != new_marked.get("Type"):
        return WILL_REPLACE, ["Type"], changes
    action, because = replacement_of(old["Type"], old_props, new_props)
    return action, because, changes


def _diff_resources(base: dict[str, dict], head: dict[str, dict]) -> list[ResourceChange]:
    out: list[ResourceChange] = []
    removed = {lid: r for lid, r in base.items() if lid not in head}
    added = {lid: r for lid, r in head.items() if lid not in base}
    # Same construct path, new logical id: CloudFormation sees a deletion and a creation.
    renamed_to: dict[str, str] = {}
    head_by_path = {cdk_path(r): lid for lid, r in added.items() if cdk_path(r)}
    for lid, resource in removed.items():
        if cdk_path(resource) in head_by_path:
            renamed_to[lid] = head_by_path[cdk_path(resource)]
    # A renamed construct id changes the path too: one differing path segment, same type.
    for lid, resource in removed.items():
        if lid in renamed_to or not cdk_path(resource):
            continue
        old_parts = cdk_path(resource).split("/")
        for new_lid, new_resource in added.items():
            new_parts = (cdk_path(new_resource) or "").split("/")
            if (new_lid not in renamed_to.values() and new_resource.get("Type") == resource.get("Type")
                    and len(new_parts) == len(old_parts) and sum(a != b for a, b in zip(old_parts, new_parts)) == 1):
                renamed_to[lid] = new_lid
                break
    renamed_from = {new: old for old, new in renamed_to.items()}

    # Every replaced logical id marks the values that read it; repeat until nothing more changes.
    replaced: dict[str, str] = {lid: "replaced" for lid in renamed_to}
    results: dict[str, tuple[str, list[str], list[PropertyChange]]] = {}
    while True:
        will = {k: v for k, v in replaced.items() if v == "replaced"}
        for lid in base.keys() & head.keys():
            new_will = mark(head[lid], will)
            new_any = mark(head[lid], replaced)
            action, because, changes = _classify(base[lid], new_will)
            if action != WILL_REPLACE:
                maybe, may_because, may_changes = _classify(base[lid], new_any)
                if maybe in (WILL_REPLACE, MAY_REPLACE) and action != MAY_REPLACE:
                    action, because, changes = MAY_REPLACE, may_because, may_changes
            results[lid] = (action, because, changes)
        grown = dict(replaced)
        for lid, (action, _, _) in results.items():
            if action == WILL_REPLACE:
                grown[lid] = "replaced"
            elif action == MAY_REPLACE and lid not in grown:
                grown[lid] = "maybe-replaced"
        if grown == replaced:
            break
        replaced = grown

    for lid in sorted(base.keys() & head.keys()):
        action, because, changes = results[lid]
        if not action:
            continue
        change = ResourceChange(lid, head[lid]["Type"], action, cdk_path(head[lid]), changes, because)
        readers = sorted(references(head[lid]) & replaced.keys())
        if readers and any("(new value: " in (c.new or "") for c in changes):
            change.note = f"reads {', '.join(readers)}, which {'is' if len(readers) == 1 else 'are'} re-created"
        if action in (WILL_REPLACE, MAY_REPLACE):
            change.data_at_risk = replacement_risk(head[lid]["Type"], base[lid], head[lid], action)
        out.append(change)
    for lid in sorted(removed):
        resource = removed[lid]
        note = f"logical id changed: re-created as {renamed_to[lid]}" if lid in renamed_to else ""
        out.append(ResourceChange(lid, resource["Type"], REMOVE, cdk_path(resource), note=note,
                                  data_at_risk=_removal_risk(resource)))
    for lid in sorted(added):
        note = f"logical id changed: replaces {renamed_from[lid]}" if lid in renamed_from else ""
        out.append(ResourceChange(lid, added[lid]["Type"], ADD, cdk_path(added[lid]), note=note))
    return out


def _all_resources(stack_id: str, stack: StackTemplate, action: str, status: str, note: str = "") -> list[StackDiff]:
    """A stack (and its nested stacks) that only one side has: every resource added or removed."""
    changes = []
    for lid, resource in sorted(stack.resources.items()):
        risk = _removal_risk(resource) if action == REMOVE and status == "removed" else ""
        changes.append(ResourceChange(lid, resource["Type"], action, cdk_path(resource), data_at_risk=risk))
    base, head = (stack, None) if action == REMOVE else (None, stack)
    out = [StackDiff(stack_id, status, changes, note, base=base, head=head)]
    for child in stack.nested.values():
        out.extend(_all_resources(child.id, child, action, status, note))
    return out


def diff_stacks(stack_id: str, base: StackTemplate, head: StackTemplate) -> list[StackDiff]:
    resources = _diff_resources(base.resources, head.resources)
    out = [StackDiff(stack_id, "changed" if resources else "unchanged", resources, base=base, head=head)]
    by_id = {r.logical_id: r for r in resources}
    for lid in sorted(base.nested.keys() | head.nested.keys()):
        old, new = base.nested.get(lid), head.nested.get(lid)
        if old and new and by_id.get(lid, ResourceChange(lid, NESTED_STACK_TYPE, UPDATE)).action != WILL_REPLACE:
            if lid in by_id:
                by_id[lid].note = f"nested stack: its changes are listed under {new.id}"
            out.extend(diff_stacks(new.id, old, new))
        elif old and new:  # the nested stack itself is re-created: everything in it too
            out.extend(_all_resources(old.id, old, REMOVE, "removed", "nested stack replaced"))
            out.extend(_all_resources(new.id, new, ADD, "added", "nested stack replaced"))
        elif old:
            if lid in by_id:
                by_id[lid].note = f"nested stack removed: its resources are listed under {old.id}"
            out.extend(_all_resources(old.id, old, REMOVE, "removed", "nested stack removed: its resources are deleted"))
        elif new:
            out.extend(_all_resources(new.id, new, ADD, "added"))
    return out


def diff_assemblies(base: Assembly, head: Assembly) -> list[StackDiff]:
    # One read of the create-only data for every type of both sides (cached after the first review).
    prefetch({r.get("Type", "") for a in (base, head) for s in a.stacks.values() for t in all_templates(s)
              for r in t.resources.values()})
    out: list[StackDiff] = []
    for stack_id in sorted(base.stacks.keys() | head.stacks.keys()):
        old, new = base.stacks.get(stack_id), head.stacks.get(stack_id)
        if old and new:
            out.extend(diff_stacks(stack_id, old, new))
        elif new:
            out.extend(_all_resources(stack_id, new, ADD, "added"))
        else:
            assert old is not None
            note = "no longer in the app: cdk deploy leaves a deployed stack alone (cdk destroy would delete it)"
            out.append(StackDiff(stack_id, "removed from app", [], note, base=old, head=None))
    return out
