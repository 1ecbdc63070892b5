"""Generated repositories publish their TechDocs from a workflow of their own; ci.yml stays AWS-free.

Each tier's skeleton is rendered (cookiecutter, hooks included) without synthesizing anything,
and the workflows are read as GitHub reads them (YAML).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .conftest import CASES, generate

CASE_IDS = [(tier, case) for tier, cases in CASES.items() for case in cases]
ROLE = "${{ vars.STAGELIFT_TECHDOCS_ROLE_ARN }}"


@pytest.fixture(scope="module", params=CASE_IDS, ids=[f"{t}-{c}" for t, c in CASE_IDS])
def repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    tier, case = request.param
    answers = CASES[tier][case]
    return generate(tier, answers, tmp_path_factory.mktemp(f"techdocs-{tier}-{case}")), answers


def workflow(path: Path, name: str) -> dict:
    document = yaml.safe_load((path / ".github" / "workflows" / name).read_text())
    # YAML 1.1 reads the `on:` key as True.
    return {("on" if k is True else k): v for k, v in document.items()}


def steps(document: dict, job: str) -> list[dict]:
    return document["jobs"][job]["steps"]


def test_docs_workflow_publishes_the_component_to_the_portal_bucket(repo: tuple[Path, dict[str, object]]) -> None:
    path, answers = repo
    text = (path / ".github" / "workflows" / "techdocs.yml").read_text()
    assert not re.findall(r"(?<!\$)\{\{|\{%|cookiecutter\.", text)
    docs = workflow(path, "techdocs.yml")
    assert docs["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in docs["on"]
    publish = docs["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write", "contents": "read"}
    assert docs["permissions"] == {"contents": "read"}
    runs = [s["run"] for s in steps(docs, "publish") if "run" in s]
    assert "techdocs-cli generate --no-docker --source-dir . --output-dir site" in runs
    name = yaml.safe_load_all((path / "catalog-info.yaml").read_text()).__next__()["metadata"]["name"]
    publish_step = next(s for s in steps(docs, "publish") if "techdocs-cli publish" in s.get("run", ""))
    assert publish_step["run"] == f'techdocs-cli publish --publisher-type awsS3 --storage-name "$BUCKET" --entity default/Component/{name} --directory site'
    assert publish_step["env"] == {"BUCKET": "${{ vars.STAGELIFT_TECHDOCS_BUCKET }}"}
    credentials = next(s for s in steps(docs, "publish") if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"))
    region = answers.get("aws_region", "us-east-1")
    assert credentials["with"] == {
        "role-to-assume": ROLE,
        "aws-region": f"${{{{ vars.STAGELIFT_TECHDOCS_REGION || '{region}' }}}}",
        "role-session-name": f"techdocs-{answers['service_name']}",
    }


def test_docs_workflow_is_skipped_with_a_notice_until_the_variables_are_set(repo: tuple[Path, dict[str, object]]) -> None:
    docs = workflow(repo[0], "techdocs.yml")
    assert docs["jobs"]["publish"]["if"] == "vars.STAGELIFT_TECHDOCS_ROLE_ARN != '' && vars.STAGELIFT_TECHDOCS_BUCKET != ''"
    # The exact negation, so one of the two jobs always runs.
    assert docs["jobs"]["not-configured"]["if"] == "vars.STAGELIFT_TECHDOCS_ROLE_ARN == '' || vars.STAGELIFT_TECHDOCS_BUCKET == ''"
    (notice,) = steps(docs, "not-configured")
    assert notice["run"].startswith('echo "::notice title=TechDocs not published::')
    assert "STAGELIFT_TECHDOCS_ROLE_ARN" in notice["run"] and "STAGELIFT_TECHDOCS_BUCKET" in notice["run"]


def test_ci_workflow_needs_no_aws(repo: tuple[Path, dict[str, object]]) -> None:
    ci = workflow(repo[0], "ci.yml")
    assert "id-token" not in ci.get("permissions", {})
    for job in ci["jobs"].values():
        assert "id-token" not in job.get("permissions", {})
        for step in job["steps"]:
            assert not str(step.get("uses", "")).startswith("aws-actions/"), step
            assert "techdocs-cli publish" not in str(step.get("run", "")) and "aws " not in str(step.get("run", "")), step
