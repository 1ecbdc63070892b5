"""The review workflows of this repository and of every skeleton: they parse, are least-privilege, and
their command lines work: the Review step runs here against the fixture assemblies, and the comment
step runs against a stand-in `gh` that records the API calls it makes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment

from stagelift.review import MARKER

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIRS = [REPO_ROOT / ".github" / "workflows",
                 *sorted((REPO_ROOT / "cookiecutters").glob("*/skeleton/.github/workflows"))]


def _rendered(path: Path) -> str:
    """The workflow as a generated repository has it (skeleton files go through cookiecutter's Jinja)."""
    text = path.read_text()
    if "skeleton" in path.parts:
        return StrictEnvironment(context={"cookiecutter": {}}, keep_trailing_newline=True).from_string(text).render(cookiecutter={})
    return text


def _load(path: Path) -> dict:
    workflow = yaml.safe_load(_rendered(path))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def _step(workflow: dict, name: str) -> dict:
    return next(s for job in workflow["jobs"].values() for s in job["steps"] if s.get("name") == name)


@pytest.mark.parametrize("folder", WORKFLOW_DIRS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_report_runs_read_only_on_pull_requests_and_comments_from_workflow_run(folder: Path) -> None:
    review, comment = _load(folder / "review.yml"), _load(folder / "review-comment.yml")
    assert review["name"] == "Review" and list(review["on"]) == ["pull_request"]
    assert review["permissions"] == {"contents": "read"}
    assert comment["on"] == {"workflow_run": {"workflows": ["Review"], "types": ["completed"]}}
    assert comment["permissions"] == {"actions": "read", "pull-requests": "write"}
    uses = [s["uses"].split("@")[0] for w in (review, comment) for job in w["jobs"].values() for s in job["steps"] if "uses" in s]
    assert all(u.startswith("actions/") for u in uses), uses  # GitHub's own actions only
    (job,) = comment["jobs"].values()
    assert not any("checkout" in s.get("uses", "") for s in job["steps"])  # never runs the pull request's code


def test_comment_workflow_is_the_same_everywhere() -> None:
    texts = {_rendered(folder / "review-comment.yml") for folder in WORKFLOW_DIRS}
    assert len(texts) == 1


@pytest.mark.parametrize("folder", WORKFLOW_DIRS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_review_step_command_lines_produce_the_report(folder: Path, assemblies, tmp_path: Path) -> None:
    script = _step(_load(folder / "review.yml"), "Review")["run"]
    output = tmp_path / "github-output"
    env = {**os.environ, "BASE_OUT": str(assemblies[0]), "HEAD_OUT": str(assemblies[1]), "PR_NUMBER": "7",
           "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert output.read_text() == "status=1\n"  # the fixture pair fails the default policy
    assert (tmp_path / "review" / "review.md").read_text().startswith(MARKER)
    assert json.loads((tmp_path / "review" / "review.json").read_text())["summary"]["data_at_risk"] == 7
    assert (tmp_path / "review" / "pr-number").read_text() == "7\n"


@pytest.mark.parametrize("folder", WORKFLOW_DIRS[:2], ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_synthesis_steps_use_real_cdk_options(folder: Path) -> None:
    script = _step(_load(folder / "review.yml"), "Synthesize head and base")["run"]
    assert script.count("cdk synth --quiet --output") == 2
    help_text = subprocess.run([str(REPO_ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--help"],
                               capture_output=True, text=True).stdout
    assert "--output" in help_text and "--quiet" in help_text


def _fake_gh(tmp_path: Path, head_sha: str, existing_comment: str) -> Path:
    """A `gh` that answers the two reads the script makes and logs every call."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"""#!/usr/bin/env bash
echo "$*" >> "{tmp_path}/calls"
case "$*" in
  *"/pulls/"*) echo "{head_sha}" ;;
  *"--paginate"*) [ -n "{existing_comment}" ] && echo "{existing_comment}" ;;
esac
exit 0
""")
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return bin_dir


@pytest.mark.parametrize(("existing", "expected"), [
    ("", "api --method POST repos/o/r/issues/7/comments -F body=@review/review.md"),
    ("4242", "api --method PATCH repos/o/r/issues/comments/4242 -F body=@review/review.md"),
])
def test_comment_step_creates_or_updates_one_comment(tmp_path: Path, existing: str, expected: str) -> None:
    script = _step(_load(WORKFLOW_DIRS[0] / "review-comment.yml"), "Create or update the review comment")["run"]
    (tmp_path / "review").mkdir()
    (tmp_path / "review" / "pr-number").write_text("7\n")
    (tmp_path / "review" / "review.md").write_text(MARKER + "\n")
    env = {**os.environ, "REPO": "o/r", "HEAD_SHA": "abc123",
           "PATH": f"{_fake_gh(tmp_path, 'abc123', existing)}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[-1] == expected
    assert sum(1 for c in calls if "--method" in c) == 1


@pytest.mark.parametrize(("pr", "sha", "error"), [
    ("7; rm -rf /", "abc123", "no pull request number in the report artifact"),
    ("7", "other", "the report is not for the head of pull request #7"),
])
def test_comment_step_refuses_an_artifact_that_does_not_match(tmp_path: Path, pr: str, sha: str, error: str) -> None:
    script = _step(_load(WORKFLOW_DIRS[0] / "review-comment.yml"), "Create or update the review comment")["run"]
    (tmp_path / "review").mkdir()
    (tmp_path / "review" / "pr-number").write_text(pr + "\n")
    (tmp_path / "review" / "review.md").write_text(MARKER + "\n")
    env = {**os.environ, "REPO": "o/r", "HEAD_SHA": "abc123",
           "PATH": f"{_fake_gh(tmp_path, sha, '')}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert error in done.stdout
    assert "--method" not in (tmp_path / "calls").read_text() if (tmp_path / "calls").exists() else True
