"""Each allowed transition end to end on a generated service: `upgrade start`, synthesis as CI runs
it (`python infra/app.py`, cdk-nag on every synth, then cfn-lint), the listener rule's weights at
every `shift`, `finish`, and synthesis again with only the new tier left.

The services join the "shared" service environment (the skeletons' default): one weighted rule on
its listener forwards to both tiers' target groups.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from stagelift.checks import cfn_lint_findings
from stagelift.cli import main
from stagelift.cli import upgrade as cli_upgrade
from stagelift.service_app import build
from stagelift.upgrade.overlay import TRANSITIONS
from stagelift.upgrade.repository import MIGRATION, ServiceRepository
from tests.scaffolding.conftest import NODE_BIN

from .conftest import commit_all

SETTINGS = {"fargate": [], "eks": ["--set", "cluster_name=platform", "--set", "aws_account_id=210987654321"]}


class AllAlarmsOk:
    """CloudWatch as `shift` reads it, every gate alarm OK (the gating itself is tested against moto)."""

    def get_paginator(self, name: str) -> Any:
        assert name == "describe_alarms"
        return self

    def paginate(self, AlarmNames: list[str], **_: object) -> list[dict[str, object]]:  # noqa: N803 (boto3's name)
        return [{"MetricAlarms": [{"AlarmName": n, "StateValue": "OK"} for n in AlarmNames]}]


def synth_like_ci(repo: Path, outdir: Path) -> dict[str, Any]:
    """`python infra/app.py` offline, as ci.yml's synth step; the stack's template, cfn-lint clean."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(CDK_OUTDIR=str(outdir), CDK_VALIDATION="true", PATH=f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}", AWS_EC2_METADATA_DISABLED="true")
    result = subprocess.run([sys.executable, "infra/app.py"], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    template = json.loads((outdir / f"{repo.name}.template.json").read_text())
    assert cfn_lint_findings(template) == []
    return template


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def rule_weights(template: dict[str, Any]) -> dict[str, int]:
    """Target group logical id -> weight of the service's one listener rule."""
    (rule,) = resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule").values()
    (action,) = rule["Properties"]["Actions"]
    return {group["TargetGroupArn"]["Ref"]: group["Weight"] for group in action["ForwardConfig"]["TargetGroups"]}


def weights_in_process(repo: Path, outdir: Path) -> dict[str, int]:
    """Tier -> weight on the listener rule, synthesized in this process (cheaper than a subprocess)."""
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    built = build(app, repo / "infra", region="us-east-1", description="test")
    template = app.synth().get_stack_by_name(built.stack.stack_name).template
    by_ref = {built.stack.resolve(group.target_group_arn)["Ref"]: tier for tier, group in built.target_groups.items() if group is not None}
    return {by_ref[ref]: weight for ref, weight in rule_weights(template).items()}


@pytest.mark.parametrize("to", ["fargate", "eks"])
def test_a_generated_service_moves_up_with_gated_weights_and_finishes(service: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, to: str) -> None:
    t = TRANSITIONS[to]
    repo = service(t.from_tier)
    assert main(["upgrade", "--repo", str(repo), "start", "--to", to, *SETTINGS[to]]) == 0
    commit_all(repo, f"start the move to {to}")

    started = synth_like_ci(repo, tmp_path / "cdk.out-start")
    weights = rule_weights(started)
    assert sorted(weights.values()) == [0, 100]
    # The old tier's logs are kept when finish removes it; the new tier's gate alarms exist by name.
    old_logs = {k: v for k, v in resources(started, "AWS::Logs::LogGroup").items() if k.startswith("Service")}
    assert old_logs and all(v["DeletionPolicy"] == "Retain" for v in old_logs.values())
    alarm_names = {v["Properties"].get("AlarmName") for v in resources(started, "AWS::CloudWatch::Alarm").values()}
    assert {f"{repo.name}-development-{to}-{kind}" for kind in ("5xx", "latency", "unhealthy-targets")} <= alarm_names

    monkeypatch.setattr(cli_upgrade, "cloudwatch_client", lambda region: AllAlarmsOk())
    for weight in (10, 25, 50, 100):
        ready = ServiceRepository(repo).committed_at(MIGRATION) + timedelta(minutes=31)  # type: ignore[operator]
        monkeypatch.setattr(cli_upgrade, "utcnow", lambda ready=ready: ready)
        assert main(["upgrade", "--repo", str(repo), "shift"]) == 0
        commit_all(repo, f"shift to {weight}")
        assert weights_in_process(repo, tmp_path / f"cdk.out-{weight}") == {t.from_tier: 100 - weight, to: weight}

    assert main(["upgrade", "--repo", str(repo), "finish"]) == 0
    commit_all(repo, "finish")
    finished = synth_like_ci(repo, tmp_path / "cdk.out-finish")
    assert list(rule_weights(finished).values()) == [100]
    old_kind = {"lambda": "AWS::Lambda::Function", "fargate": "AWS::ECS::Service"}[t.from_tier]
    old = {k for k in resources(finished, old_kind) if k.startswith("Service")}
    assert old == set(), f"{t.from_tier} resources left after finish: {old}"
    assert not any(str(v["Properties"].get("AlarmName", "")).endswith("-unhealthy-targets") for v in resources(finished, "AWS::CloudWatch::Alarm").values())


def test_a_standalone_fargate_service_takes_the_weights_on_its_own_load_balancer(service: Callable[..., Path], tmp_path: Path) -> None:
    repo = service("lambda")
    assert main(["upgrade", "--repo", str(repo), "start", "--to", "fargate", "--set", "service_environment=standalone"]) == 0
    app = cdk.App(outdir=str(tmp_path / "cdk.out"), context={"aws:cdk:bundling-stacks": []})
    built = build(app, repo / "infra", region="us-east-1", description="test")
    template = app.synth().get_stack_by_name(built.stack.stack_name).template
    assert built.environment is None and resources(template, "AWS::ElasticLoadBalancingV2::ListenerRule") == {}
    refs = {tier: built.stack.resolve(group.target_group_arn)["Ref"] for tier, group in built.target_groups.items() if group is not None}
    forwards = [
        {g["TargetGroupArn"]["Ref"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}
        for listener in resources(template, "AWS::ElasticLoadBalancingV2::Listener").values()
        for action in listener["Properties"]["DefaultActions"]
        if "ForwardConfig" in action
    ]
    assert forwards == [{refs["lambda"]: 100, refs["fargate"]: 0}]
    assert cfn_lint_findings(template) == []


def test_fargate_to_eks_needs_both_tiers_on_a_service_environment(service: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    repo = service("fargate", service_environment="standalone")
    assert main(["upgrade", "--repo", str(repo), "start", "--to", "eks", *SETTINGS["eks"]]) == 2
    assert "fargate -> eks needs serviceEnvironment on both tiers" in capsys.readouterr().err
