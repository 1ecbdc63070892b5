"""TierMigration: the migration state a service repository holds (infra/migration.json)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from stagelift.config import ConfigError, TierMigration, validate


def migration(**values: object) -> TierMigration:
    return validate(TierMigration, {"fromTier": "lambda", "toTier": "fargate", **values}, "infra/migration.json")


def test_defaults_start_at_zero_with_the_documented_plan() -> None:
    state = migration()
    assert (state.weight, state.steps, state.bake_minutes, state.rolled_back) == (0, [0, 10, 25, 50, 100], 30, False)
    assert state.weights() == {"lambda": 100, "fargate": 0}


@pytest.mark.parametrize(("weight", "expected"), [(0, {"fargate": 0, "lambda": 100}), (10, {"fargate": 10, "lambda": 90}), (50, {"fargate": 50, "lambda": 50}), (100, {"fargate": 100, "lambda": 0})])
def test_weights_give_the_new_tier_its_share(weight: int, expected: dict[str, int]) -> None:
    assert migration(weight=weight, steps=[0, 10, 50, 100]).weights() == expected


def test_a_rollback_sends_everything_back_whatever_the_weight() -> None:
    assert migration(fromTier="fargate", toTier="eks", weight=50, rolledBack=True).weights() == {"fargate": 100, "eks": 0}


def test_next_weight_walks_the_plan_and_stops_at_100() -> None:
    assert [migration(weight=w).next_weight() for w in (0, 10, 25, 50, 100)] == [10, 25, 50, 100, None]


def test_baked_at_is_the_step_start_plus_the_bake_time() -> None:
    started = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)
    assert migration(stepStartedAt="2026-11-30T17:00:00Z", bakeMinutes=45).baked_at() == started + timedelta(minutes=45)
    assert migration().baked_at() is None


def test_json_round_trip_keeps_camel_case_keys() -> None:
    state = migration(weight=25, stepStartedAt="2026-11-30T18:30:00+01:00")
    text = state.to_json()
    # rolledBackAt and rollbackReason: what `stagelift upgrade rollback` records.
    assert set(json.loads(text)) == {"fromTier", "toTier", "weight", "steps", "bakeMinutes", "stepStartedAt", "rolledBack", "rolledBackAt", "rollbackReason"}
    assert json.loads(text)["stepStartedAt"] == "2026-11-30T17:30:00Z"
    assert TierMigration.from_json(text) == state


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"toTier": "eks"}, r"toTier = 'eks' with fromTier = 'lambda' skips a tier: a lambda service moves to fargate"),
        ({"fromTier": "fargate", "toTier": "lambda"}, r"toTier = 'lambda' with fromTier = 'fargate' does not move up: a fargate service moves to eks"),
        ({"fromTier": "eks", "toTier": "eks"}, r"fromTier = 'eks': EKS is the last stage"),
        ({"fromTier": "ecs"}, r"fromTier = 'ecs': Input should be 'lambda', 'fargate' or 'eks'"),
        ({"weight": 30}, r"weight = 30: not a step of the plan; allowed weights are 0, 10, 25, 50, 100"),
        ({"weight": 120}, r"weight = 120: Input should be less than or equal to 100"),
        ({"steps": [10, 50, 100]}, r"steps = \[10, 50, 100\]: the plan must start at 0 and end at 100"),
        ({"steps": [0, 50, 90]}, r"steps = \[0, 50, 90\]: the plan must start at 0 and end at 100"),
        ({"steps": [0, 50, 25, 100]}, r"steps = \[0, 50, 25, 100\]: each step must be larger than the one before"),
        ({"steps": [0, 50, 50, 100]}, r"steps = \[0, 50, 50, 100\]: each step must be larger than the one before"),
        ({"bakeMinutes": 0}, r"bakeMinutes = 0: Input should be greater than or equal to 1"),
        ({"bakeMinutes": 20000}, r"bakeMinutes = 20000: Input should be less than or equal to 10080"),
        ({"stepStartedAt": "2026-11-30T17:00:00"}, r"stepStartedAt = '2026-11-30T17:00:00': expected a time with its zone"),
        ({"weigth": 10}, r"weigth = 10: unknown key"),
    ],
)
def test_each_bad_value_gets_one_clear_message(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        migration(**values)
    assert len(raised.value.problems) == 1, raised.value.problems


def test_a_file_that_is_not_json_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match=r"Invalid infra/migration.json:\n  - not JSON"):
        TierMigration.from_json("{weight: 10")
