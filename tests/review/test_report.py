"""The report: a pull-request comment under GitHub's limit, JSON with the same content, the policy's exit status."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stagelift.cli import main
from stagelift.review import MARKER, to_json, to_markdown
from stagelift.review.report import COMMENT_LIMIT

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_markdown_starts_with_the_marker_and_the_summary_table(result: dict) -> None:
    text = to_markdown(result)
    lines = text.splitlines()
    assert lines[0] == MARKER
    table = lines.index(next(line for line in lines if line.startswith("| Stacks |")))
    assert lines[table + 2].startswith("| 15 (14 changed) | 4 | 10 | 3 (1 may) | 11 | **7** | **3** | **2** | **2** |")
    assert table < lines.index("<details>")  # summary first, details after
    assert "<summary>⚠️ Data at risk (7)</summary>" in text
    assert "cfn-lint" in text.rstrip().splitlines()[-1]  # the replacement data's version, in the footer


def test_markdown_is_cut_under_the_comment_limit_and_points_at_the_full_report(result: dict) -> None:
    big = copy.deepcopy(result)
    # 400 copies of every stack: far over what one comment can hold.
    big["stacks"] = [dict(s, id=f"{s['id']}-{i}") for i in range(400) for s in result["stacks"]]
    full = to_markdown(big, limit=sys.maxsize)
    assert len(full) > COMMENT_LIMIT
    cut = to_markdown(big, full_report="review.full.md")
    assert len(cut) < COMMENT_LIMIT
    assert cut.startswith(MARKER)
    assert "**Cut to fit a comment**" in cut and "`review.full.md`" in cut
    assert "more changed stacks cut" in cut and "more sections cut" in cut
    assert cut.count("<details>") == cut.count("</details>")


def test_json_has_the_same_content(result: dict) -> None:
    assert json.loads(to_json(result)) == json.loads(json.dumps(result))


def test_default_policy_fails_on_data_at_risk_and_iam_broadening(assemblies, tmp_path, capsys) -> None:
    out = tmp_path / "review.json"
    status = main(["review", str(assemblies[0]), str(assemblies[1]), "--format", "json", "--output", str(out), "--no-cost"])
    assert status == 1
    report = json.loads(out.read_text())
    assert report["policy"]["violations"] == ["data at risk (7)", "IAM broadening (3)"]
    assert "policy fails: data at risk (7)" in capsys.readouterr().err


def test_policy_file_decides_the_exit_status(assemblies, tmp_path) -> None:
    lenient = tmp_path / "policy.yaml"
    lenient.write_text("fail_on: [new_findings]\n")
    assert main(["review", *map(str, assemblies), "--policy", str(lenient), "--output", str(tmp_path / "r.md"), "--no-cost"]) == 0
    strict = tmp_path / "strict.yaml"
    strict.write_text("fail_on: [new_acknowledgments, open_ingress]\n")
    assert main(["review", *map(str, assemblies), "--policy", str(strict), "--output", str(tmp_path / "r.md"), "--no-cost"]) == 1
    assert "**Policy: fails** — new cdk-nag acknowledgments (2); ingress open to the internet (2)" in (tmp_path / "r.md").read_text()


@pytest.mark.parametrize(("content", "message"), [
    ("fail_on: [data_loss]\n", "fail_on = 'data_loss' is not a check; allowed: data_at_risk, iam_broadening"),
    ("fail_on: [data_at_risk]\nmax_cost: 5\n", "max_cost = 5: Extra inputs are not permitted"),
    ("max_cost_increase_usd: lots\n", "max_cost_increase_usd = 'lots'"),
])
def test_bad_policy_is_one_message_and_status_2(assemblies, tmp_path, capsys, content: str, message: str) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(content)
    assert main(["review", *map(str, assemblies), "--policy", str(policy)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_not_an_assembly_is_one_message_and_status_2(assemblies, tmp_path, capsys) -> None:
    assert main(["review", str(assemblies[0]), str(tmp_path / "missing")]) == 2
    assert "missing: no such folder (expected a cdk.out folder written by cdk synth)" in capsys.readouterr().err


def test_console_script_runs_without_aws_cdk(assemblies, tmp_path) -> None:
    """The installed `stagelift` command, in a process that must never load aws-cdk-lib or constructs."""
    probe = (
        "import sys, runpy; sys.argv = ['stagelift', *sys.argv[1:]];"
        "from stagelift.cli import main; status = main();"
        "loaded = [m for m in ('aws_cdk', 'constructs', 'jsii') if m in sys.modules];"
        "assert not loaded, loaded; sys.exit(status)"
    )
    out = tmp_path / "review.md"
    done = subprocess.run([sys.executable, "-c", probe, "review", *map(str, assemblies), "--output", str(out), "--no-cost"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # the default policy fails on this pair
    assert out.read_text().startswith(MARKER)
    script = Path(sys.executable).parent / "stagelift"
    assert subprocess.run([str(script), "review", "--help"], capture_output=True, text=True).returncode == 0


def test_lint_findings_compared_by_construct_path(assemblies) -> None:
    from stagelift.review import review

    linted = review(*assemblies, lint=True)
    lint = [f for f in linted["findings"] if f["source"] == "cfn-lint"]
    assert lint and all(f["status"] in ("new", "fixed", "unchanged") for f in lint)
    # The same finding on both sides is unchanged, keyed by the resource's construct path.
    assert any(f["status"] == "unchanged" and f["resource"] == "CreateOnly/Database/Resource" for f in lint)
    assert linted["data_sources"]["lint"] is True


def test_same_assembly_twice_is_no_change_and_passes(assemblies, tmp_path) -> None:
    out = tmp_path / "review.json"
    assert main(["review", str(assemblies[0]), str(assemblies[0]), "--format", "json", "--output", str(out), "--no-cost"]) == 0
    report = json.loads(out.read_text())
    assert report["summary"]["stacks_changed"] == 0
    assert not report["iam"] and not report["security_groups"] and not report["data_at_risk"]
    assert {a["status"] for a in report["acknowledgments"]} == {"unchanged"}
