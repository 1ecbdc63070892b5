"""Bad answers stop cookiecutter with one message naming answer, value and rule, and leave nothing behind."""

from __future__ import annotations

import importlib

import re
import subprocess
import sys
from pathlib import Path

import pytest

from stagelift.scaffolding import check_answers
from tests.conftest import REPO_ROOT

from .conftest import COOKIECUTTERS, cookiecutter_defaults, generate

BAD_ANSWERS = [
    pytest.param("lambda", {"service_name": "Orders_API"}, r"service_name = 'Orders_API': must match \^\[a-z\]", id="bad-service-name"),
    pytest.param("lambda", {"service_name": "orders", "timeout_seconds": "901"}, r"timeout_seconds = '901': must be at most 900", id="timeout-901"),
    pytest.param("lambda", {"service_name": "orders", "memory_mib": "lots"}, r"memory_mib = 'lots': expected a whole number", id="not-a-number"),
    pytest.param(
        "fargate",
        {"service_name": "orders", "cpu": "256", "memory_mib": "4096"},
        r"memory_mib = 4096 with cpu = 256: Fargate accepts 512, 1024, 2048 MiB for 256 CPU units",
        id="bad-cpu-memory-pair",
    ),
    pytest.param(
        "fargate",
        {"service_name": "orders", "environment": "production", "service_environment": "standalone"},
        r"environment = 'production' needs HTTPS: set domain_name with hosted_zone_id and hosted_zone_name .* or domain_name with certificate_arn",
        id="production-without-https",
    ),
    pytest.param(
        "eks",
        {"service_name": "orders", "cpu_request": "2", "cpu_limit": "500m"},
        r"cpu_request = '2' is above cpu_limit = '500m'",
        id="request-above-limit",
    ),
    pytest.param("eks", {"service_name": "orders", "aws_account_id": "1234"}, r"aws_account_id = '1234': must match", id="bad-account"),
]


@pytest.mark.parametrize(("tier", "answers", "message"), BAD_ANSWERS)
def test_bad_answers_fail_with_a_clear_message_and_no_output(tier: str, answers: dict[str, object], message: str, tmp_path: Path) -> None:
    # The answer check (a Jinja extension cookiecutter.json loads) stops cookiecutter while it
    # names the project folder: before anything is written, with SystemExit(message).
    with pytest.raises(SystemExit) as refusal:
        generate(tier, answers, tmp_path)
    assert list(tmp_path.iterdir()) == [], "cookiecutter left a partial project"
    assert str(refusal.value.code).startswith(f"ERROR: invalid answers for {tier}-service:\n")
    assert re.search(message, str(refusal.value.code)), refusal.value.code


def test_problems_use_answer_names_not_model_aliases() -> None:
    problems = check_answers("fargate", {**cookiecutter_defaults("fargate"), "service_name": "orders", "github_repo": "orders", "cpu": "256", "memory_mib": "4096"})
    assert problems == [
        "memory_mib = 4096 with cpu = 256: Fargate accepts 512, 1024, 2048 MiB for 256 CPU units"
    ]


def test_answer_check_without_stagelift_still_checks_each_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # The generated check, imported as cookiecutter imports it, with stagelift made unimportable.
    monkeypatch.syspath_prepend(str(COOKIECUTTERS / "lambda-service"))
    monkeypatch.setitem(sys.modules, "stagelift.scaffolding", None)
    check = importlib.import_module("lambda_service_answers")
    with pytest.raises(SystemExit) as refusal:
        check.checked_service_folder({**cookiecutter_defaults("lambda"), "service_name": "Orders_API", "github_repo": "x"})
    assert "stagelift is not installed: per-answer checks only" in str(refusal.value.code)
    assert "service_name = 'Orders_API': must match" in str(refusal.value.code)
    assert check.checked_service_folder({**cookiecutter_defaults("lambda"), "service_name": "orders", "github_repo": "orders"}) == "orders"

def test_a_choice_outside_the_list_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"nodejs22.x provided for choice variable runtime, but the choices are \['python3.13', 'python3.14'\]"):
        generate("lambda", {"service_name": "orders", "runtime": "nodejs22.x"}, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("tier", ["lambda", "fargate"])
def test_cookiecutter_cli_with_no_input(tier: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cookiecutter"), "--no-input", f"cookiecutters/{tier}-service", "service_name=cli-made", "--output-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cli-made" / "catalog-info.yaml").is_file()
    assert (tmp_path / "cli-made" / "infra" / "app.py").is_file()


def cookiecutter_cli(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    """The virtualenv's cookiecutter command, as a user runs it."""
    return subprocess.run([str(Path(sys.executable).parent / "cookiecutter"), *args], cwd=cwd, capture_output=True, text=True)


CLI_REFUSALS = [
    pytest.param(
        "fargate",
        [],
        "ERROR: invalid answers for fargate-service:\n  - service_name: is required\n  - github_repo: is required\n",
        id="no-service-name",
    ),
    pytest.param(
        "fargate",
        ["service_name=x"],
        "ERROR: invalid answers for fargate-service:\n  - service_name = 'x': must match ^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
        " (Service name: lowercase letters, digits and hyphens, 3-40 characters)\n",
        id="bad-service-name",
    ),
    pytest.param(
        "fargate",
        ["service_name=orders", "cpu=256", "memory_mib=4096"],
        "ERROR: invalid answers for fargate-service:\n  - memory_mib = 4096 with cpu = 256: Fargate accepts 512, 1024, 2048 MiB for 256 CPU units\n",
        id="cross-field-rule",
    ),
    pytest.param(
        "lambda",
        ["service_name=orders", "timeout_seconds=901"],
        "ERROR: invalid answers for lambda-service:\n  - timeout_seconds = '901': must be at most 900 (Function timeout (seconds), at most 900)\n",
        id="lambda-timeout",
    ),
    pytest.param(
        "eks",
        ["service_name=orders", "aws_account_id=1234"],
        "ERROR: invalid answers for eks-service:\n  - aws_account_id = '1234': must match",
        id="eks-account",
    ),
]


@pytest.mark.parametrize(("tier", "answers", "expected"), CLI_REFUSALS)
def test_cookiecutter_cli_refusal_is_one_message_and_nothing_else(tier: str, answers: list[str], expected: str, tmp_path: Path) -> None:
    # Run from an empty folder without -o: with no service name the project folder once rendered
    # to "" and cookiecutter answered 'Error: "." directory already exists'.
    result = cookiecutter_cli("--no-input", str(COOKIECUTTERS / f"{tier}-service"), *answers, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(expected), result.stderr
    assert "Traceback" not in result.stderr and "Hook script failed" not in result.stderr
    assert result.stderr.count("ERROR") == 1, result.stderr
    assert list(tmp_path.iterdir()) == [], "cookiecutter wrote something"
