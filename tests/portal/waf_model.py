"""Just enough of AWS WAF's evaluation to ask what a synthesized web ACL does with one request.

Covers the statements the portal's web ACL uses (managed rule groups with rule action overrides,
label, byte-match on URI path and method, And/Or/Not) and raises on anything else, so a rule it
cannot read never passes silently. Managed rule groups are opaque: only the rules listed in
``MANAGED_RULES`` are modelled, from the AWS WAF developer guide ("Baseline rule groups").
Evaluation follows "How AWS WAF processes a web ACL": rules by priority, the first Block/Allow
ends it, Count adds the rule's labels and goes on; a managed group's rules act likewise, with an
override replacing a rule's action.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body_bytes: int = 0


@dataclass(frozen=True)
class ManagedRule:
    matches: Callable[[Request], bool]
    label: str
    action: str = "Block"


MANAGED_RULES: dict[str, dict[str, ManagedRule]] = {
    # "Inspects for request bodies that are over 8 KB (8,192 bytes)."
    "AWSManagedRulesCommonRuleSet": {
        "SizeRestrictions_BODY": ManagedRule(lambda r: r.body_bytes > 8192, "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"),
    },
}


@dataclass(frozen=True)
class Verdict:
    action: str  # Allow or Block
    rule: str | None  # the terminating rule (group:rule for a managed rule), None for the default action


def _transform(value: str, transformations: list[Mapping[str, Any]]) -> str:
    for step in sorted(transformations, key=lambda t: t["Priority"]):
        kind = step["Type"]
        if kind == "NONE":
            continue
        if kind == "URL_DECODE":
            value = unquote(value)
        elif kind == "NORMALIZE_PATH":
            value = posixpath.normpath(value) + ("/" if value.endswith("/") and value != "/" else "")
        else:
            raise NotImplementedError(f"text transformation {kind}")
    return value


def _field(request: Request, field: Mapping[str, Any]) -> str:
    if "UriPath" in field:
        return request.path
    if "Method" in field:
        return request.method
    raise NotImplementedError(f"field to match {list(field)}")


def matches(statement: Mapping[str, Any], request: Request, labels: set[str]) -> bool:
    if "AndStatement" in statement:
        return all(matches(s, request, labels) for s in statement["AndStatement"]["Statements"])
    if "OrStatement" in statement:
        return any(matches(s, request, labels) for s in statement["OrStatement"]["Statements"])
    if "NotStatement" in statement:
        return not matches(statement["NotStatement"]["Statement"], request, labels)
    if "LabelMatchStatement" in statement:
        label = statement["LabelMatchStatement"]
        assert label["Scope"] == "LABEL"
        return label["Key"] in labels
    if "ByteMatchStatement" in statement:
        byte = statement["ByteMatchStatement"]
        value = _transform(_field(request, byte["FieldToMatch"]), byte["TextTransformations"])
        search, where = byte["SearchString"], byte["PositionalConstraint"]
        if where == "EXACTLY":
            return value == search
        if where == "STARTS_WITH":
            return value.startswith(search)
        raise NotImplementedError(f"positional constraint {where}")
    raise NotImplementedError(f"statement {list(statement)}")


def evaluate(web_acl: Mapping[str, Any], request: Request) -> Verdict:
    """What ``web_acl`` (the Properties of an AWS::WAFv2::WebACL) does with ``request``, rate limits aside."""
    labels: set[str] = set()
    for rule in sorted(web_acl["Rules"], key=lambda r: r["Priority"]):
        statement = rule["Statement"]
        if "RateBasedStatement" in statement:
            continue  # counts requests over time: not a property of one request
        if "ManagedRuleGroupStatement" in statement:
            group = statement["ManagedRuleGroupStatement"]
            overrides = {o["Name"]: next(iter(o["ActionToUse"])) for o in group.get("RuleActionOverrides", [])}
            counting_group = "Count" in rule["OverrideAction"]
            for name, managed in MANAGED_RULES.get(group["Name"], {}).items():
                if managed.matches(request):
                    labels.add(managed.label)
                    action = overrides.get(name, managed.action)
                    if action in ("Block", "Allow") and not counting_group:
                        return Verdict(action, f"{group['Name']}:{name}")
            continue
        if matches(statement, request, labels):
            action = next(iter(rule["Action"]))
            if action in ("Block", "Allow"):
                return Verdict(action, rule["Name"])
    return Verdict(next(iter(web_acl["DefaultAction"])), None)
