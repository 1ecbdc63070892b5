"""Estimates of every stack of a cloud assembly (``cdk.out``), nested stacks folded into their parent."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from .assumptions import Assumptions
from .estimate import Estimate, estimate_template
from .price_list import PriceList, load_prices
from .template import strings_in


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None


def _file_assets(folder: Path) -> dict[str, str]:
    """``{S3 object key: file in the assembly}`` from every asset manifest (``*.assets.json``)."""
    found: dict[str, str] = {}
    for manifest in folder.glob("*.assets.json"):
        for asset in (_read(manifest).get("files") or {}).values():
            path = (asset.get("source") or {}).get("path")
            for destination in (asset.get("destinations") or {}).values():
                if path and destination.get("objectKey"):
                    found[destination["objectKey"]] = path
    return found


def _nested_template(resource: Mapping[str, Any], folder: Path, assets: dict[str, str]) -> Path | None:
    """The nested stack's template file: ``aws:asset:path`` metadata (``cdk synth``), else the
    asset manifest entry whose object key ends its ``TemplateURL`` (plain ``python app.py``)."""
    asset = (resource.get("Metadata") or {}).get("aws:asset:path")
    if isinstance(asset, str) and (folder / asset).is_file():
        return folder / asset
    for text in strings_in((resource.get("Properties") or {}).get("TemplateURL")):
        key = text.rsplit("/", 1)[-1]
        if key in assets and (folder / assets[key]).is_file():
            return folder / assets[key]
    return None


def _with_nested(template: Mapping[str, Any], folder: Path, prefix: str = "", depth: int = 0, assets: dict[str, str] | None = None) -> dict[str, Any]:
    """One template whose resources include those of its nested stacks (ids ``Nested/Inner``)."""
    assets = _file_assets(folder) if assets is None else assets
    resources: dict[str, Any] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        resources[prefix + logical_id] = resource
        if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::CloudFormation::Stack" or depth > 10:
            continue
        path = _nested_template(resource, folder, assets)
        if path is not None:
            nested = _with_nested(_read(path), folder, f"{prefix}{logical_id}/", depth + 1, assets)
            resources.update(nested["Resources"])
    # Nested stacks' parameters and conditions are not merged: their values come from the parent as
    # tokens, so they read as unresolved (see template.py) rather than as the parent's.
    return {**template, "Resources": resources}


def estimate_assembly(
    cdk_out_dir: Path | str,
    *,
    region: str = "us-east-1",
    assumptions: Assumptions | None = None,
    prices: PriceList | None = None,
) -> dict[str, Estimate]:
    """``{stack artifact id: Estimate}`` for each ``aws:cloudformation:stack`` of ``manifest.json``.

    Stacks are priced at ``region``'s prices (default us-east-1, the list's region), not at the
    region a stack is deployed to. Nested stacks' lines are part of their parent's estimate, their
    logical ids prefixed with the nested stack's (``Nested/Queue``).
    """
    folder = Path(cdk_out_dir)
    manifest = _read(folder / "manifest.json")
    prices = prices or load_prices()
    result: dict[str, Estimate] = {}
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = (artifact.get("properties") or {}).get("templateFile")
        if not template_file:
            continue
        template = _with_nested(_read(folder / template_file), folder)
        est = estimate_template(template, region=region, assumptions=assumptions, prices=prices)
        deployed = str(artifact.get("environment", "")).rsplit("/", 1)[-1]
        if deployed and deployed != region and not deployed.startswith("unknown"):
            est = replace(est, notes=(f"deployed to {deployed}, priced at {region} list prices",) + est.notes)
        result[artifact_id] = est
    # Nested cloud assemblies (CDK stages) hold their own stacks.
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        if artifact.get("type") == "cdk:cloud-assembly":
            directory = (artifact.get("properties") or {}).get("directoryName")
            if directory and (folder / directory / "manifest.json").is_file():
                for inner_id, est in estimate_assembly(folder / directory, region=region, assumptions=assumptions, prices=prices).items():
                    result[f"{artifact_id}/{inner_id}"] = est
    return result
