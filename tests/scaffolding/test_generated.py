"""Each generated repository works on its own: tests pass, infra synthesizes offline, cfn-lint is clean.

One case per tier and answer set (see conftest.CASES); generation and synthesis happen once per case.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from stagelift.checks import cfn_lint_errors
from tests.conftest import REPO_ROOT
from tests.test_acknowledgments import acknowledgments, resource_paths

from .conftest import CASES, LOCAL_STAGELIFT, Generated

CASE_IDS = [(tier, case) for tier, cases in CASES.items() for case in cases]


@pytest.fixture(params=CASE_IDS, ids=[f"{t}-{c}" for t, c in CASE_IDS])
def repo(request: pytest.FixtureRequest, generated: dict[tuple[str, str], Generated]) -> Generated:
    return generated[request.param]


def test_generated_repository_tests_pass(repo: Generated) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"[1-9][0-9]* passed", result.stdout)


def test_infra_synthesizes_offline_without_cfn_lint_errors(repo: Generated) -> None:
    templates = repo.templates()
    assert templates, "python infra/app.py wrote no template"
    for name, template in templates.items():
        assert cfn_lint_errors(template) == [], name


def test_validation_report_has_no_violation(repo: Generated) -> None:
    # cdk-nag (registered as a validation plugin) fails synthesis on an unacknowledged finding;
    # whatever the plugins did report must not be a violation.
    report = json.loads((repo.synth() / "validation-report.json").read_text())
    for plugin in report.get("pluginReports", []):
        assert not plugin.get("violations"), plugin


def test_every_acknowledgment_is_on_one_resource(repo: Generated) -> None:
    # As for the portal and the examples (tests/test_acknowledgments.py): cdk-nag 3 would let an
    # acknowledgment on a parent cover every resource below it.
    assembly = repo.synth()
    resources = resource_paths(assembly)
    assert [f"{a.stack} {a.path} {a.rule}" for a in acknowledgments(assembly) if a.path not in resources[a.stack]] == []


def test_no_template_syntax_is_left_in_the_output(repo: Generated) -> None:
    for path in repo.path.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            text = path.read_text()
            leftovers = re.findall(r"(?<!\$)\{\{|\{%|cookiecutter\.", text)
            assert not leftovers, f"{path.relative_to(repo.path)} still has {leftovers}"


def test_infra_requirements_use_the_given_stagelift_requirement(repo: Generated) -> None:
    requirements = [line for line in (repo.path / "infra" / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert requirements[0] == LOCAL_STAGELIFT
    # Each tier asks for the extras it imports, and only those.
    assert [r for r in requirements if r.startswith("stagelift[")] == (["stagelift[eks]"] if repo.tier == "eks" else [])


def test_infra_cdk_json_has_the_repository_feature_flags(repo: Generated) -> None:
    ours = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    theirs = json.loads((repo.path / "infra" / "cdk.json").read_text())["context"]
    assert theirs == {k: v for k, v in ours.items() if k.startswith("@aws-cdk")}


def test_infra_app_registers_cdk_nag(repo: Generated) -> None:
    # app.py hands the tier files to stagelift's composition code, which registers the pack.
    assert "from stagelift.service_app import main" in (repo.path / "infra" / "app.py").read_text()
    assert "Validations.of(app).add_plugins(AwsSolutionsChecks(app))" in (REPO_ROOT / "stagelift" / "service_app.py").read_text()


def test_the_tier_file_holds_the_answers_and_validates(repo: Generated) -> None:
    from stagelift.service_app import read_service_files

    files = read_service_files(repo.path / "infra")
    assert [t.tier for t in files.tiers] == [repo.tier] and files.migration is None
    config = files.tiers[0].config
    assert config.service_name == repo.service_name
    assert str(config.environment) == repo.answers.get("environment", "development")


def test_workflows_test_synthesize_lint_and_deploy_with_oidc(repo: Generated) -> None:
    ci = yaml.safe_load((repo.path / ".github" / "workflows" / "ci.yml").read_text())
    ci_runs = " ".join(str(step.get("run", "")) for job in ci["jobs"].values() for step in job["steps"])
    for command in ("python -m pytest", "cdk synth", "cfn-lint"):
        assert command in ci_runs
    deploy = yaml.safe_load((repo.path / ".github" / "workflows" / "deploy.yml").read_text())
    assert deploy["permissions"]["id-token"] == "write"
    steps = [step for job in deploy["jobs"].values() for step in job["steps"]]
    oidc = next(s for s in steps if str(s.get("uses", "")).startswith("aws-actions/configure-aws-credentials@"))
    assert oidc["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert oidc["with"]["aws-region"] == repo.answers.get("aws_region", "us-east-1")
    assert "aws-access-key-id" not in oidc["with"]
    assert any("cdk deploy" in str(s.get("run", "")) for s in steps)


def test_techdocs_and_readme(repo: Generated) -> None:
    mkdocs = yaml.safe_load((repo.path / "mkdocs.yml").read_text())
    assert mkdocs["site_name"] == repo.service_name
    assert (repo.path / "docs" / "index.md").read_text().startswith(f"# {repo.service_name}")
    readme = (repo.path / "README.md").read_text()
    # lambda and fargate repositories set themselves up with make (eks: TODO with the eks skeleton rework).
    sections = ("## Set-up, test and synthesize", "## Deploy") if repo.tier != "eks" else ("## Run and test", "## Synthesize", "## Deploy")
    for section in sections:
        assert section in readme
    if repo.tier != "eks":
        assert "make setup" in readme and "make check" in readme


def entities(repo: Generated) -> list[dict]:
    return [d for d in yaml.safe_load_all((repo.path / "catalog-info.yaml").read_text()) if d]


def test_catalog_info_describes_the_service(repo: Generated) -> None:
    component, *resources = entities(repo)
    name, answers = repo.service_name, repo.answers
    assert component["kind"] == "Component" and component["metadata"]["name"] == name
    spec = component["spec"]
    assert spec["type"] == "service"
    assert spec["owner"] == answers.get("owner", "platform-team")
    assert spec["lifecycle"] == ("production" if answers.get("environment") == "production" else "experimental")
    assert spec.get("system") == (answers.get("system") or None)
    annotations = component["metadata"]["annotations"]
    org, repo_name = answers.get("github_org", "example-org"), answers.get("github_repo", name)
    assert annotations["github.com/project-slug"] == f"{org}/{repo_name}"
    assert annotations["backstage.io/techdocs-ref"] == "dir:."
    assert annotations["backstage.io/source-location"] == f"url:https://github.com/{org}/{repo_name}/tree/main/"
    assert all(isinstance(v, str) for v in annotations.values())
    stage = {"lambda": 1, "fargate": 2, "eks": 3}[repo.tier]
    assert f"stage-{stage}" in component["metadata"]["tags"]
    assert [r["kind"] for r in resources] == ["Resource"] * len(resources)
    assert spec.get("dependsOn", []) == [f"resource:{r['metadata']['name']}" for r in resources]
    for resource in resources:
        assert resource["metadata"]["name"].startswith(f"{name}-")
        assert resource["spec"]["owner"] == spec["owner"]
