"""The Lambda and Fargate tier, service environment and tiered service examples run as plain programs and synthesize every stack offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

EXAMPLES = {
    "lambda_service": ["LambdaDefaults", "LambdaAllOptions", "LambdaPublic"],
    "fargate_service": ["FargateDefaults", "FargateAllOptions", "FargateSharedCluster"],
    "service_environment": ["ServiceEnvironmentDevelopment", "ServiceEnvironmentProduction"],
    "tiered_service": ["OrdersOnLambda", "OrdersMovingToFargate", "OrdersOnFargate"],
}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_app_synthesizes_offline_with_cdk_nag(example: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(CDK_OUTDIR=str(tmp_path), CDK_VALIDATION="true", AWS_EC2_METADATA_DISABLED="true", JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "examples" / example / "app.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for stack in EXAMPLES[example]:
        template = json.loads((tmp_path / f"{stack}.template.json").read_text())
        assert template["Resources"], stack
    # cdk-nag ran as a validation plugin and every accepted finding is recorded with its reason.
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert report.get("pluginReports", []) == [] or all(r.get("summary", {}).get("status") == "success" for r in report["pluginReports"])
    acknowledged = [
        (path, rule, reason)
        for stack in EXAMPLES[example]
        for path, entries in json.loads((tmp_path / f"{stack}.metadata.json").read_text()).items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
        if "AwsSolutions-" in rule
    ]
    assert acknowledged, "expected the accepted cdk-nag findings in the cloud assembly metadata"
    for path, rule, reason in acknowledged:
        assert len(reason) >= 40, (path, rule, reason)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert {name for name, artifact in manifest["artifacts"].items() if artifact["type"] == "aws:cloudformation:stack"} == set(EXAMPLES[example])
