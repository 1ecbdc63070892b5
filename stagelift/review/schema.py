"""Which properties of a resource type CloudFormation cannot update in place.

The data is the CloudFormation registry's resource provider schemas as shipped inside the
cfn-lint package (``createOnlyProperties``, ``conditionalCreateOnlyProperties``, JSON pointers
such as ``/properties/DBInstanceIdentifier`` or ``/properties/Tags/*/Key``). cfn-lint refreshes
them from the registry with every release; its version is the data's version in every report.
Read through cfn-lint's API: the files' layout inside the package changes between releases.

Why these and not ``@aws-cdk/cloudformation-diff`` (what ``cdk diff`` uses): the review stays one
Python process with no Node.js at review time, and cfn-lint is already what ``--lint`` runs. That
package's own data (aws-cdk's service-spec database) sometimes says more: it calls a DynamoDB
``KeySchema`` change a replacement where the registry lists it as conditional (measured with
cloudformation-diff 2.187.5: about 0.6 s of CPU per template pair, more than a whole cached review).

Importing cfn-lint costs about half a second of CPU, more than the rest of a review, so the three
lists of each type read are kept in a small cache file per cfn-lint version
(``$XDG_CACHE_HOME/stagelift/``, else ``~/.cache/stagelift/``); a new cfn-lint version starts a new file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path as FilePath

Path = tuple[str, ...]


@dataclass(frozen=True)
class TypeRules:
    create_only: tuple[Path, ...]
    conditional: tuple[Path, ...]
    primary_identifier: tuple[Path, ...]
    known: bool  # False when the schema is not in the package (a Custom:: or third-party type)


def _pointer(pointer: str) -> Path:
    parts = pointer.strip("/").split("/")
    return tuple(parts[1:]) if parts and parts[0] == "properties" else tuple(parts)


def data_version() -> str:
    """``cfn-lint <version>``: where the create-only data comes from."""
    return f"cfn-lint {version('cfn-lint')} (CloudFormation registry schemas)"


def _cache_file() -> FilePath:
    root = os.environ.get("XDG_CACHE_HOME") or FilePath.home() / ".cache"
    return FilePath(root) / "stagelift" / f"replacement-rules-cfn-lint-{version('cfn-lint')}.json"


@cache
def _cached() -> dict[str, dict[str, list[str]] | None]:
    try:
        return json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _from_cfn_lint(resource_type: str, region: str) -> dict[str, list[str]] | None:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # ~0.5 s of imports: only for types not cached yet

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    except Exception:  # ResourceNotFoundError for Custom:: and unknown types
        return None
    return {key: list(schema.get(key, [])) for key in ("createOnlyProperties", "conditionalCreateOnlyProperties", "primaryIdentifier")}


def prefetch(resource_types: Iterable[str], region: str = "us-east-1") -> None:
    """Read the rules of every type not cached yet from cfn-lint, and save them (best effort)."""
    cached = _cached()
    missing = sorted({f"{region}/{t}" for t in resource_types} - cached.keys())
    if not missing:
        return
    for key in missing:
        cached[key] = _from_cfn_lint(key.split("/", 1)[1], region)
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            json.dump(cached, handle, sort_keys=True)
        os.replace(handle.name, path)  # atomic: parallel reviews never read half a file
    except OSError:
        pass  # a read-only home: the rules are still in memory for this run


@cache
def type_rules(resource_type: str, region: str = "us-east-1") -> TypeRules:
    prefetch([resource_type], region)
    schema = _cached().get(f"{region}/{resource_type}")
    if schema is None:
        return TypeRules((), (), (), known=False)
    return TypeRules(
        create_only=tuple(_pointer(p) for p in schema["createOnlyProperties"]),
        conditional=tuple(_pointer(p) for p in schema["conditionalCreateOnlyProperties"]),
        primary_identifier=tuple(_pointer(p) for p in schema["primaryIdentifier"]),
        known=True,
    )


_MISSING = object()


def _values_at(value: object, pointer: Path) -> list[object]:
    """Every value at ``pointer`` (``*`` expands over list items); missing parts are ``_MISSING``."""
    if not pointer:
        return [value]
    head, rest = pointer[0], pointer[1:]
    if head == "*":
        if not isinstance(value, list):
            return [_MISSING]
        return [v for item in value for v in _values_at(item, rest)] or [_MISSING]
    if isinstance(value, dict) and head in value:
        return _values_at(value[head], rest)
    return [_MISSING]


def _changed(pointers: tuple[Path, ...], old: dict, new: dict) -> list[str]:
    return sorted({"/".join(p) for p in pointers if _values_at(old, p) != _values_at(new, p)})


def replacement_of(resource_type: str, old: dict, new: dict, region: str = "us-east-1") -> tuple[str, list[str]]:
    """``("will replace" | "may replace" | "update", [the properties that decide it])``.

    ``old`` and ``new`` are the resource's Properties; a value that only changes because what it
    references is replaced must already be marked as different (see ``diff.mark_replaced``).
    """
    rules = type_rules(resource_type, region)
    will = _changed(rules.create_only, old, new)
    if will:
        return "will replace", will
    may = _changed(rules.conditional, old, new)
    if may:
        return "may replace", may
    return "update", []
