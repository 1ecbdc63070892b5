"""CloudFormation intrinsic functions: what a value references, and a short text for reports."""

from __future__ import annotations

import json
import re

# ${Name} or ${Name.Attribute} in Fn::Sub; ${!Literal} is an escaped dollar, not a reference.
_SUB_REF = re.compile(r"\$\{(?!!)([A-Za-z0-9:_]+)(?:\.([A-Za-z0-9._]+))?\}")


def references(value: object) -> set[str]:
    """Logical ids (and parameters) that ``value`` reads through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    _collect(value, found)
    return {name for name in found if not name.startswith("AWS::")}


def _collect(value: object, found: set[str]) -> None:
    if isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
                return
            if key == "Fn::GetAtt":
                target = arg[0] if isinstance(arg, list) and arg else str(arg).split(".")[0]
                found.add(str(target))
                return
            if key == "Fn::Sub":
                text, variables = (arg[0], arg[1] if len(arg) > 1 else {}) if isinstance(arg, list) else (arg, {})
                if isinstance(text, str):
                    found.update(m.group(1) for m in _SUB_REF.finditer(text) if m.group(1) not in variables)
                _collect(variables, found)
                return
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def mark(value: object, targets: dict[str, str]) -> object:
    """A copy of ``value`` where every reference to a logical id in ``targets`` is wrapped in a
    marker (``{"<replaced>": {...}}``), so the value compares different from the deployed one: a
    resource that is re-created gets a new physical id and new attributes."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()
            if key in ("Ref", "Fn::GetAtt", "Fn::Sub"):
                hit = references(value) & targets.keys()
                if hit:
                    return {f"<{targets[sorted(hit)[0]]}>": value}
        return {k: mark(v, targets) for k, v in value.items()}
    if isinstance(value, list):
        return [mark(v, targets) for v in value]
    return value


def render(value: object) -> str:
    """A short, stable text for a value: ``${Bucket.Arn}`` for Fn::GetAtt, joins flattened."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"${{{arg}}}"
        if key == "Fn::GetAtt":
            parts = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return "${" + ".".join(str(p) for p in parts) + "}"
        if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            return str(arg[0]).join(render(v) for v in arg[1])
        if key == "Fn::Sub":
            return arg if isinstance(arg, str) else render(arg[0])
        if key.startswith("<"):  # a reference to a resource being replaced (see ``mark``)
            return f"{render(arg)} (new value: {key.strip('<>')})"
        if key.startswith("Fn::Import") or key == "Fn::ImportValue":
            return f"import({render(arg)})"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
