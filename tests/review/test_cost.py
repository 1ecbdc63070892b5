"""The review's cost section: the pricing model on both assemblies, delta per line to the cent."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

from stagelift.cli import main
from stagelift.pricing import load_prices


def test_task_size_change_costs_the_price_list_difference(assemblies, tmp_path) -> None:
    out = tmp_path / "review.json"
    main(["review", *map(str, assemblies), "--format", "json", "--output", str(out)])
    report = json.loads(out.read_text())
    (task_size,) = [s for s in report["cost"]["stacks"] if s["stack"] == "TaskSize"]
    (line,) = task_size["lines"]
    # Two tasks, 730 h a month, from 0.5 vCPU / 1 GB to 1 vCPU / 2 GB: +0.5 vCPU and +1 GB per task.
    prices = load_prices()
    hours = prices.hours_per_month
    per_task = Decimal("0.5") * prices.value("fargate_vcpu_hour", "us-east-1") + 1 * prices.value("fargate_gb_hour", "us-east-1")
    expected = (2 * hours * per_task).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert line["item"] == "ECS Fargate tasks"
    assert Decimal(line["delta"]) == expected == Decimal("36.04")
    assert Decimal(task_size["after"]) - Decimal(task_size["before"]) == expected
    assert report["data_sources"]["cost"].startswith("stagelift price list (us-east-1, prices obtained ")
    # Unchanged stacks show no lines; the summary carries the total delta.
    assert Decimal(report["summary"]["cost_delta_usd"]) == sum(Decimal(s["delta"]) for s in report["cost"]["stacks"])
