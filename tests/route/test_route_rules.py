"""Synth-time rules of a service route: priorities and what one forward action can take (no synthesis)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stagelift.constructs.service_route import PRIORITY_FIRST, PRIORITY_LAST, WeightedTarget, check_targets, listener_priority

GROUP = object()  # check_targets never reads the target group


def target(tier: str, weight: int) -> WeightedTarget:
    return WeightedTarget(tier=tier, target_group=GROUP, weight=weight)  # type: ignore[arg-type]


def test_priority_is_stable_across_processes_and_inside_the_documented_range() -> None:
    # Python's hash() of a str changes per process (PYTHONHASHSEED); the priority must not.
    script = "from stagelift.constructs.service_route import listener_priority as p; print(p('orders'))"
    other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "123"})
    assert int(other.stdout) == listener_priority("orders") == 13388
    priorities = {listener_priority(f"service-{i}") for i in range(500)}
    assert PRIORITY_FIRST <= min(priorities) and max(priorities) <= PRIORITY_LAST
    assert len(priorities) > 490  # spread, not a handful of buckets


@pytest.mark.parametrize(
    ("targets", "priority", "message"),
    [
        ([], 1000, r"targets is empty"),
        ([target(t, 10) for t in ("lambda", "fargate", "eks", "lambda", "fargate", "eks")], 1000, r"targets has 6 target groups .*at most 5"),
        ([target("lambda", 0), target("fargate", 0)], 1000, r"every weight is 0 \(lambda, fargate\)"),
        ([target("lambda", 50), target("lambda", 50)], 1000, r"targets names the tier lambda more than once"),
        ([target("lambda", 1000)], 1000, r"weight = 1000 for tier lambda: a target group's weight is 0-999"),
        ([target("lambda", 100)], 0, r"priority = 0: listener rule priorities are 1-50000"),
        ([target("lambda", 100)], 50001, r"priority = 50001: listener rule priorities are 1-50000"),
    ],
)
def test_what_the_load_balancer_refuses_is_refused_before_synthesis(targets: list[WeightedTarget], priority: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_targets(targets, priority)


def test_a_weight_of_zero_next_to_a_live_tier_is_allowed() -> None:
    check_targets([target("lambda", 100), target("fargate", 0)], 1)
