"""Create a CDK App that behaves the same under ``cdk synth`` and plain ``python app.py``.

The CDK CLI reads ``cdk.json`` (feature flags, default context) and hands it to the app through
``CDK_CONTEXT_JSON``; run alone, an app would see none of it and synthesize different
templates. ``create_app`` fills in ``cdk.json``'s context when the CLI did not.

Where each check runs (README, "Checks and synthesis speed"): cdk-nag on every synth (the apps
register it); aws-cdk-lib's built-in CloudFormation validation only where ``CDK_VALIDATION=true``
(tests, CI), since it costs about 3 s of every synth, reports warnings only, and cfn-lint checks
every template there too; cfn-lint in tests, CI and review.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk


def cdk_json_context(project_dir: Path) -> dict[str, object]:
    """The ``context`` block of ``project_dir/cdk.json`` (empty when there is none)."""
    path = project_dir / "cdk.json"
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("context", {}))


def create_app(project_dir: Path, *, context: Mapping[str, object] | None = None, outdir: str | None = None) -> cdk.App:
    """An App with ``cdk.json`` context (unless the CLI already supplied it) plus ``context``.

    :param project_dir: folder holding ``cdk.json``.
    :param context: extra context that wins over ``cdk.json`` (tests, benchmarks); default none.
    :param outdir: cloud assembly folder; default the CLI's, else ``CDK_OUTDIR``, else a temporary one.
    """
    merged: dict[str, object] = {} if "CDK_CONTEXT_JSON" in os.environ else cdk_json_context(project_dir)
    merged.update(context or {})
    return cdk.App(context=merged, outdir=outdir, builtin_cloud_formation_validation=builtin_validation())


def builtin_validation() -> bool:
    """Whether aws-cdk-lib's built-in CloudFormation validation runs: only with ``CDK_VALIDATION=true``.

    aws-cdk-lib runs it unless ``CDK_VALIDATION=false``; stagelift's apps turn it on explicitly
    where templates are checked anyway (tests and CI set the variable) and leave it out of the
    interactive ``cdk synth``.
    """
    return os.environ.get("CDK_VALIDATION", "").strip().lower() == "true"
