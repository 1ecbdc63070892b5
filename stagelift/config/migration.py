"""A service moving up one tier: which share of its traffic the new tier gets, and the plan to 100%.

The state lives in the service's repository (``infra/migration.json``, camelCase like every
model), so every traffic shift is a reviewed commit and the synthesized listener rule shows the
weights. ``weights()`` is what the stack turns into the rule's weighted forward action.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pydantic import Field, field_validator, model_validator

from .base import StageliftModel
from .errors import validate
from .service import STAGE_BY_TIER, Tier

# A service moves one stage at a time: Lambda -> Fargate -> EKS.
NEXT_TIER: dict[str, Tier] = {"lambda": "fargate", "fargate": "eks"}
DEFAULT_STEPS: tuple[int, ...] = (0, 10, 25, 50, 100)
MAX_BAKE_MINUTES = 7 * 24 * 60


class TierMigration(StageliftModel):
    """Traffic of one service split between the tier it runs on and the next one.

    ``weight`` is the new tier's percentage now and must be one of ``steps``; ``steps`` start at
    0, end at 100 and increase strictly. A shift moves to ``next_weight()`` once the current step
    has run ``bake_minutes`` (from ``step_started_at``); ``rolled_back`` sends all traffic back to
    ``from_tier`` whatever ``weight`` says.
    """

    from_tier: Tier = Field(description="Tier the service runs on today: lambda or fargate")
    to_tier: Tier = Field(description="Tier the service moves to: the next stage (lambda -> fargate, fargate -> eks)")
    weight: int = Field(default=0, ge=0, le=100, description="Percentage of traffic on the new tier now: one of steps")
    steps: list[int] = Field(default=list(DEFAULT_STEPS), description="Weights the new tier goes through: 0 first, 100 last, increasing")
    bake_minutes: int = Field(
        default=30, ge=1, le=MAX_BAKE_MINUTES, description=f"Minutes each step runs before the next shift, 1-{MAX_BAKE_MINUTES}"
    )
    step_started_at: datetime | None = Field(default=None, description="When the current weight was deployed (UTC, ISO 8601)")
    rolled_back: bool = Field(default=False, description="All traffic is back on fromTier (set by rollback)")
    # Added by the upgrade branch: `stagelift upgrade rollback` records when and why.
    rolled_back_at: datetime | None = Field(default=None, description="When rollback ran (UTC, ISO 8601)")
    rollback_reason: str | None = Field(default=None, max_length=500, description="Why rollback ran")

    @field_validator("steps")
    @classmethod
    def _check_steps(cls, steps: list[int]) -> list[int]:
        if not steps or steps[0] != 0 or steps[-1] != 100:
            raise ValueError("the plan must start at 0 and end at 100, e.g. [0, 10, 25, 50, 100]")
        if any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError("each step must be larger than the one before, e.g. [0, 10, 25, 50, 100]")
        return steps

    @field_validator("step_started_at", "rolled_back_at")
    @classmethod
    def _check_time_zone(cls, started: datetime | None) -> datetime | None:
        if started is not None and started.utcoffset() is None:
            raise ValueError("expected a time with its zone, e.g. 2026-11-30T17:00:00Z")
        return started.astimezone(timezone.utc) if started is not None else None

    @model_validator(mode="after")
    def _check_transition(self) -> TierMigration:
        expected = NEXT_TIER.get(self.from_tier)
        if expected is None:
            raise ValueError(f"fromTier = {self.from_tier!r}: EKS is the last stage, a service on it has no tier to move to")
        if self.to_tier != expected:
            how = "skips a tier" if STAGE_BY_TIER[self.to_tier] > STAGE_BY_TIER[expected] else "does not move up"
            raise ValueError(f"toTier = {self.to_tier!r} with fromTier = {self.from_tier!r} {how}: a {self.from_tier} service moves to {expected}")
        if self.weight not in self.steps:
            raise ValueError(f"weight = {self.weight}: not a step of the plan; allowed weights are {', '.join(map(str, self.steps))}")
        return self

    def weights(self) -> dict[Tier, int]:
        """Percentage of traffic per tier: ``{from_tier: 100 - weight, to_tier: weight}`` (100/0 after a rollback)."""
        weight = 0 if self.rolled_back else self.weight
        return {self.from_tier: 100 - weight, self.to_tier: weight}

    def next_weight(self) -> int | None:
        """The plan's step after ``weight``; None at 100 (the migration can finish)."""
        later = [step for step in self.steps if step > self.weight]
        return later[0] if later else None

    def baked_at(self) -> datetime | None:
        """When the current step has run its bake time (None when its start is not recorded)."""
        return None if self.step_started_at is None else self.step_started_at + timedelta(minutes=self.bake_minutes)

    def to_json(self) -> str:
        """camelCase JSON as ``infra/migration.json`` holds it (unset values included, so a reviewer sees them)."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "infra/migration.json") -> TierMigration:
        """Parse and validate; raises ``ConfigError`` naming each bad key, its value and what is allowed."""
        import json

        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            from .errors import ConfigError

            raise ConfigError(source, [f"not JSON: {error}"]) from None
        if not isinstance(values, dict):
            from .errors import ConfigError

            raise ConfigError(source, [f"expected a JSON object, found {type(values).__name__}"])
        return validate(cls, values, source)
