"""The README's per-service cost before/after service environments is generated and current."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stagelift import environment_costs
from stagelift.environment_costs import BLOCK, Comparison, markdown_table, synthesize
from stagelift.generated_blocks import read_block
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return synthesize()


def test_readme_table_is_current(comparison: Comparison) -> None:
    text = (REPO_ROOT / "README.md").read_text()
    assert read_block(text, BLOCK) == markdown_table(comparison), "README.md's service environment cost table is stale: run `python -m stagelift.environment_costs --update README.md`"


def test_attached_service_pays_only_for_its_own_resources(comparison: Comparison) -> None:
    own = [line.item for line in comparison.own_part.lines]
    assert own == ["ECS Fargate tasks", "KMS keys", "CloudWatch Logs", "CloudWatch alarms", "SNS"]
    # Same tasks as alone; no NAT, address, load balancer, flow logs or bucket of its own.
    assert comparison.own_part.cost("ECS Fargate tasks") == comparison.standalone.cost("ECS Fargate tasks")
    assert {"NAT", "Public IPv4 addresses", "Application Load Balancer", "VPC flow logs", "S3"} <= {line.item for line in comparison.standalone.lines} - set(own)


def test_sharing_pays_from_a_few_services(comparison: Comparison) -> None:
    before = comparison.standalone.total
    after = {n: comparison.environment(n).total / n + comparison.own_part.total for n in (1, 3, 30)}
    # One service alone pays for the WAF it did not have; from three on, each pays less than alone.
    assert after[1] > before > after[3] > after[30]
    # The environment's usage grows with its services: 30 services' load balancer costs more than one's.
    assert comparison.environment(30).cost("Application Load Balancer") > comparison.environment(1).cost("Application Load Balancer")


def test_costs_update_also_rewrites_the_environment_block(tmp_path, comparison: Comparison, monkeypatch: pytest.MonkeyPatch) -> None:
    from stagelift import costs

    monkeypatch.setattr(environment_costs, "synthesize", lambda: comparison)
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n<!-- {BLOCK}:start -->\nold\n<!-- {BLOCK}:end -->\n")
    assert costs._update_environment_costs(readme)
    assert read_block(readme.read_text(), BLOCK) == markdown_table(comparison)
    plain = tmp_path / "OTHER.md"
    plain.write_text("# no block\n")
    assert costs._update_environment_costs(plain) is False


def test_shared_usage_scales_with_services() -> None:
    one = environment_costs.shared_usage(1, tasks=Decimal(2))
    ten = environment_costs.shared_usage(10, tasks=Decimal(2))
    assert ten.alb_lcu == one.alb_lcu * 10 and ten.internet_egress_gb == one.internet_egress_gb * 10
