"""Read a cloud assembly (a ``cdk.out`` folder) as plain JSON: stacks, templates, nested stacks.

The one reader behind ``stagelift.review`` and ``stagelift.pricing``. Nothing here imports
aws-cdk-lib: both must run where only the folder exists. Stacks are keyed by artifact id (the key
``cdk deploy`` uses); stages' nested assemblies are followed and their stacks keyed
``<stage artifact id>/<stack artifact id>``. Nested stacks are found through their
``AWS::CloudFormation::Stack`` resources' ``aws:asset:path`` metadata, else through the asset
manifests (``*.assets.json``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
MAX_NESTING = 10  # CloudFormation's own limit is lower; this only stops a self-referencing template


class AssemblyError(ValueError):
    """The folder is not a readable cloud assembly."""


@dataclass
class StackTemplate:
    """One template: a top-level stack or a nested stack inside one."""

    id: str
    display_name: str
    template: dict
    directory: Path
    template_file: str = ""
    region: str = "us-east-1"  # from the artifact's environment; us-east-1 when environment-agnostic
    environment: str = ""  # the artifact's as written (aws://account/region, unknown-* when agnostic)
    # Nested stacks by the logical id of their AWS::CloudFormation::Stack resource.
    nested: dict[str, StackTemplate] = field(default_factory=dict)
    # Artifact metadata (manifest.json): construct path -> entries (cdk-nag acknowledgments ...).
    metadata: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, dict]:
        return self.template.get("Resources") or {}


@dataclass
class Assembly:
    directory: Path
    stacks: dict[str, StackTemplate]
    # Whole-assembly files that some checks read (validation-report.json ...).
    validation_report: dict | None = None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise AssemblyError(f"{path}: file not found (is this a cdk.out folder written by cdk synth?)") from None
    except OSError as error:
        raise AssemblyError(f"{path}: cannot read ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None


def _file_assets(directory: Path) -> dict[str, str]:
    """Object key of every file asset (``<hash>.json``) -> its file in the assembly (``*.assets.json``)."""
    out: dict[str, str] = {}
    for manifest in directory.glob("*.assets.json"):
        for asset in (_read_json(manifest).get("files") or {}).values():
            source = (asset.get("source") or {}).get("path")
            for destination in (asset.get("destinations") or {}).values():
                if source and destination.get("objectKey"):
                    out[destination["objectKey"]] = source
    return out


def _nested_template_file(resource: dict, directory: Path, assets: dict[str, str]) -> str | None:
    """The file of a nested stack: ``aws:asset:path`` metadata (``cdk synth``), else the asset whose
    object key its TemplateURL names (a plain ``python app.py`` writes no asset metadata)."""
    asset_path = (resource.get("Metadata") or {}).get("aws:asset:path")
    if isinstance(asset_path, str) and (directory / asset_path).is_file():
        return asset_path
    url = json.dumps((resource.get("Properties") or {}).get("TemplateURL", ""))
    return next((path for key, path in assets.items() if key in url), None)


def _nested_stacks(parent_id: str, template: dict, directory: Path, assets: dict[str, str], depth: int = 0) -> dict[str, StackTemplate]:
    nested: dict[str, StackTemplate] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, Mapping) or resource.get("Type") != NESTED_STACK_TYPE or depth >= MAX_NESTING:
            continue
        asset_path = _nested_template_file(resource, directory, assets)
        if not asset_path or not (directory / asset_path).is_file():
            continue  # a stack of an external template URL: nothing to read offline
        child_template = _read_json(directory / asset_path)
        cdk_path = (resource.get("Metadata") or {}).get("aws:cdk:path", logical_id)
        # "Parent/Inner.NestedStack/Inner.NestedStackResource" -> "Inner"
        name = cdk_path.split("/")[-2].removesuffix(".NestedStack") if cdk_path.endswith(".NestedStackResource") else logical_id
        child_id = f"{parent_id}/{name}"
        nested[logical_id] = StackTemplate(
            id=child_id,
            display_name=child_id,
            template=child_template,
            directory=directory,
            template_file=asset_path,
            nested=_nested_stacks(child_id, child_template, directory, assets, depth + 1),
        )
    return nested


def _read_manifest(directory: Path, prefix: str, stacks: dict[str, StackTemplate]) -> None:
    manifest = _read_json(directory / "manifest.json")
    assets = _file_assets(directory)  # read once: every nested stack of this assembly looks here
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        kind = artifact.get("type")
        if kind == NESTED_ASSEMBLY_ARTIFACT:
            sub = artifact.get("properties", {}).get("directoryName")
            if sub and (directory / sub / "manifest.json").is_file():
                _read_manifest(directory / sub, f"{prefix}{artifact_id}/", stacks)
            continue
        if kind != STACK_ARTIFACT:
            continue
        template_file = artifact.get("properties", {}).get("templateFile")
        if not template_file:
            continue
        stack_id = f"{prefix}{artifact_id}"
        template = _read_json(directory / template_file)
        metadata = dict(artifact.get("metadata") or {})
        # aws-cdk-lib 2.275 moves the metadata (cdk-nag acknowledgments ...) into <stack>.metadata.json.
        extra = artifact.get("additionalMetadataFile")
        if extra and (directory / extra).is_file():
            for path, entries in _read_json(directory / extra).items():
                metadata.setdefault(path, []).extend(entries)
        environment = str(artifact.get("environment", ""))
        region = environment.rsplit("/", 1)[-1]
        stacks[stack_id] = StackTemplate(
            id=stack_id,
            display_name=artifact.get("displayName", stack_id),
            template=template,
            directory=directory,
            template_file=template_file,
            region=region if region and region != "unknown-region" else "us-east-1",
            environment=environment,
            nested=_nested_stacks(stack_id, template, directory, assets),
            metadata=metadata,
        )


def load_assembly(directory: str | Path) -> Assembly:
    """Every stack of the cloud assembly in ``directory`` (raises ``AssemblyError`` when unreadable)."""
    root = Path(directory)
    if not root.is_dir():
        raise AssemblyError(f"{root}: no such folder (expected a cdk.out folder written by cdk synth)")
    stacks: dict[str, StackTemplate] = {}
    _read_manifest(root, "", stacks)
    report_path = root / "validation-report.json"
    report = _read_json(report_path) if report_path.is_file() else None
    return Assembly(directory=root, stacks=stacks, validation_report=report)


def all_templates(stack: StackTemplate) -> list[StackTemplate]:
    """``stack`` and its nested stacks, depth first."""
    out = [stack]
    for child in stack.nested.values():
        out.extend(all_templates(child))
    return out
