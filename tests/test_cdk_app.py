"""aws-cdk-lib's built-in CloudFormation validation runs where CDK_VALIDATION=true, not in an interactive synth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = """
from pathlib import Path
import aws_cdk as cdk
from stagelift.cdk_app import create_app
app = create_app(Path("."), outdir="out")
# A property of the wrong type: the built-in validation reports it (as a warning), when it runs.
cdk.CfnResource(cdk.Stack(app, "Stack"), "Queue", type="AWS::SQS::Queue", properties={"VisibilityTimeout": "lots"})
app.synth()
"""


def plugins_run(tmp_path: Path, validation: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    if validation is not None:
        env["CDK_VALIDATION"] = validation
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = tmp_path / "out" / "validation-report.json"
    return [p["pluginName"] for p in json.loads(report.read_text()).get("pluginReports", [])] if report.exists() else []


@pytest.mark.parametrize(("validation", "runs"), [(None, False), ("false", False), ("true", True)])
def test_builtin_validation_only_with_cdk_validation_true(validation: str | None, runs: bool, tmp_path: Path) -> None:
    assert ("CloudFormation Validate" in plugins_run(tmp_path, validation)) is runs
