"""Reading values out of a synthesized CloudFormation template, tokens included, without crashing.

What a deployed stack would hold is not always in the template: a value may be a ``Ref`` to a
parameter, an ``Fn::If`` on a condition, an import or an attribute of another resource. The
rules, applied everywhere and recorded in the estimate's notes:

- ``Ref`` to a parameter: the parameter's ``Default`` (none: unresolved);
- ``Ref`` to ``AWS::Region``: the pricing region; ``AWS::NoValue``: the property is absent;
- ``Fn::If``: the branch its condition selects when the condition can be evaluated from
  parameter defaults (``Fn::Equals``/``Not``/``And``/``Or``), else the first (true) branch;
- a resource with a ``Condition``: priced when the condition is true or cannot be evaluated;
- anything else (``Fn::GetAtt``, ``Fn::ImportValue``, ``Fn::Join`` with tokens, ...): unresolved;
  a number that is unresolved takes the documented fallback of the property that needs it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


class _Unresolved:
    def __repr__(self) -> str:
        return "<unresolved>"


UNRESOLVED: Any = _Unresolved()
ABSENT: Any = object()


def ref_target(value: object) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points to (None for anything else)."""
    if isinstance(value, Mapping) and len(value) == 1:
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            if isinstance(att, list) and att and isinstance(att[0], str):
                return att[0]
            if isinstance(att, str):
                return att.split(".")[0]
    return None


def mentions(value: object, logical_id: str) -> bool:
    """True if ``value`` (any nesting) has a Ref/GetAtt to ``logical_id``."""
    if ref_target(value) == logical_id:
        return True
    if isinstance(value, Mapping):
        return any(mentions(v, logical_id) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, logical_id) for v in value)
    return False


@dataclass
class TemplateView:
    template: Mapping[str, Any]
    region: str
    notes: list[str] = field(default_factory=list)

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        resources = self.template.get("Resources", {})
        return resources if isinstance(resources, Mapping) else {}

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def of_type(self, *types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(logical id, Properties) of the resources of these types that would be created."""
        for logical_id, resource in self.resources.items():
            if not isinstance(resource, Mapping) or resource.get("Type") not in types:
                continue
            condition = resource.get("Condition")
            if isinstance(condition, str):
                holds = self.condition(condition)
                if holds is False:
                    continue
                if holds is None:
                    self.note(f"{logical_id}: condition {condition} cannot be evaluated offline; priced as if true")
            props = resource.get("Properties", {})
            yield logical_id, props if isinstance(props, Mapping) else {}

    def props(self, logical_id: str | None) -> Mapping[str, Any]:
        if logical_id is None:
            return {}
        resource = self.resources.get(logical_id)
        if not isinstance(resource, Mapping):
            return {}
        props = resource.get("Properties", {})
        return props if isinstance(props, Mapping) else {}

    def type_of(self, logical_id: str | None) -> str | None:
        resource = self.resources.get(logical_id or "")
        return resource.get("Type") if isinstance(resource, Mapping) else None

    # --- values ------------------------------------------------------------------------------------
    def resolve(self, value: object, where: str = "") -> Any:
        """``value`` with the token rules above applied (UNRESOLVED / ABSENT when they say so)."""
        if isinstance(value, Mapping) and len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                if arg == "AWS::Region":
                    return self.region
                if arg == "AWS::NoValue":
                    return ABSENT
                parameter = self.template.get("Parameters", {}).get(arg)
                if isinstance(parameter, Mapping):
                    if "Default" in parameter:
                        self.note(f"{where or arg}: parameter {arg} taken at its default {parameter['Default']!r}")
                        return parameter["Default"]
                    return UNRESOLVED
                return UNRESOLVED  # a resource's physical id
            if key == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                holds = self.condition(arg[0]) if isinstance(arg[0], str) else None
                if holds is None:
                    self.note(f"{where or 'Fn::If'}: condition {arg[0]} cannot be evaluated offline; its first branch is priced")
                    holds = True
                return self.resolve(arg[1] if holds else arg[2], where)
            if key.startswith("Fn::") or key == "Ref":
                return UNRESOLVED
        if isinstance(value, list):
            return [v for v in (self.resolve(v, where) for v in value) if v is not ABSENT]
        return value

    def get(self, props: Mapping[str, Any], name: str, default: Any = None, where: str = "") -> Any:
        """``props[name]`` resolved; ``default`` when absent."""
        if name not in props:
            return default
        value = self.resolve(props[name], where or name)
        return default if value is ABSENT else value

    def items(self, props: Mapping[str, Any], name: str, where: str = "") -> list[Any]:
        """``props[name]`` when it resolves to a list, else an empty list."""
        value = self.get(props, name, ABSENT, where) if isinstance(props, Mapping) else ABSENT
        return value if isinstance(value, list) else []

    def mapping(self, props: Mapping[str, Any], name: str, where: str = "") -> Mapping[str, Any]:
        """``props[name]`` when it resolves to a mapping (not an intrinsic function), else an empty one."""
        value = self.get(props, name, ABSENT, where) if isinstance(props, Mapping) else ABSENT
        return value if isinstance(value, Mapping) else {}

    def number(self, props: Mapping[str, Any], name: str, default: Decimal | int | None, where: str) -> Decimal | None:
        """``props[name]`` as a number; the documented ``default`` (noted) when absent or unresolved."""
        raw = self.get(props, name, ABSENT, where) if isinstance(props, Mapping) else ABSENT
        if raw is ABSENT or raw is None:
            return None if default is None else Decimal(default)
        if raw is UNRESOLVED or isinstance(raw, (Mapping, list, bool)):
            self.note(f"{where}: {name} is not known before deployment; {'its fallback' if default is None else default} assumed")
            return None if default is None else Decimal(default)
        try:
            value = Decimal(str(raw))
            if not value.is_finite():
                raise ValueError(raw)
            return value
        except (InvalidOperation, ValueError):
            self.note(f"{where}: {name} = {raw!r} is not a number; {default} assumed")
            return None if default is None else Decimal(default)

    def quantity(self, props: Mapping[str, Any], name: str, default: Decimal | int, where: str) -> Decimal:
        """``number`` with a fallback: always a number (0 stays 0)."""
        value = self.number(props, name, default, where)
        return Decimal(default) if value is None else value

    def text(self, props: Mapping[str, Any], name: str, default: str | None, where: str) -> str | None:
        raw = self.get(props, name, ABSENT, where) if isinstance(props, Mapping) else ABSENT
        if raw is ABSENT or raw is None:
            return default
        if raw is UNRESOLVED or isinstance(raw, (Mapping, list)):
            self.note(f"{where}: {name} is not known before deployment; {default!r} assumed")
            return default
        return str(raw)

    # --- conditions --------------------------------------------------------------------------------
    def condition(self, name: str, _depth: int = 0) -> bool | None:
        """The condition's value from parameter defaults; None when it cannot be evaluated."""
        body = self.template.get("Conditions", {}).get(name)
        return self._evaluate(body, _depth) if body is not None else None

    def _evaluate(self, body: object, depth: int) -> bool | None:
        if depth > 20 or not isinstance(body, Mapping) or len(body) != 1:
            return None
        (key, arg), = body.items()
        if key == "Condition" and isinstance(arg, str):
            return self.condition(arg, depth + 1)
        if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            left, right = (self.resolve(a) for a in arg)
            if left is UNRESOLVED or right is UNRESOLVED or isinstance(left, (Mapping, list)) or isinstance(right, (Mapping, list)):
                return None
            return str(left) == str(right)
        if not isinstance(arg, list):
            return None
        values = [self._evaluate(a, depth + 1) for a in arg]
        if key == "Fn::Not" and len(values) == 1:
            return None if values[0] is None else not values[0]
        if key == "Fn::And":
            return False if False in values else (None if None in values else True)
        if key == "Fn::Or":
            return True if True in values else (None if None in values else False)
        return None


def strings_in(value: object) -> list[str]:
    """Every string anywhere inside a property value (intrinsics included), depth first."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []
