"""The repository's own set-up says what it is doing, and its packaging is warning-free."""

from __future__ import annotations

import subprocess
import tomllib

from tests.conftest import REPO_ROOT


def test_make_synth_says_it_is_setting_up_before_the_quiet_installs() -> None:
    # -n: print the commands make would run if pyproject.toml and package.json had just changed.
    planned = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "-W", "package.json", "synth"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    lines = planned.splitlines()
    pip = next(i for i, line in enumerate(lines) if "pip install --quiet -e" in line)
    npm = next(i for i, line in enumerate(lines) if line.startswith("npm ci"))
    synth = next(i for i, line in enumerate(lines) if line.startswith("cdk synth"))
    assert any("Setting up: creating .venv" in line for line in lines[:pip])
    assert any("Setting up: npm ci" in line for line in lines[pip:npm])
    assert any("Synthesizing the development portal" in line for line in lines[npm:synth])


def test_license_is_an_spdx_string_with_a_setuptools_that_reads_it() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in project["build-system"]["requires"]


def test_core_dependencies_are_what_the_core_imports_and_dev_has_every_extra() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    names = {r.split(">")[0].split("=")[0].split("<")[0] for r in project["dependencies"]}
    # pg8000 is not imported: synthesis copies it from the environment into the database-users
    # function's asset (stagelift.constructs.database_users), so every stack with a database needs it.
    assert names == {"aws-cdk-lib", "constructs", "pydantic", "pg8000"}
    extras = project["optional-dependencies"]
    assert {"eks", "scaffolding", "cli"} <= set(extras)
    assert "stagelift[eks,scaffolding,cli]" in extras["dev"]
