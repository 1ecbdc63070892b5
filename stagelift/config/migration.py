"""A service's move from one tier to the next, as ``infra/migration.json`` records it.

Provisional copy of the "route" branch's model (ISSUE14_DESIGN.md §2), same names and fields, so
the upgrade command and the composition code can be built before the branches are merged; the
merge takes route's module.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from .base import StageliftModel
from .service import STAGE_BY_TIER, Tier

DEFAULT_STEPS: tuple[int, ...] = (0, 10, 25, 50, 100)


class TierMigration(StageliftModel):
    """Traffic shares of the old and the new tier while a service moves up one stage."""

    from_tier: Tier = Field(description="Tier the service runs on before the move")
    to_tier: Tier = Field(description="Tier the service moves to: the next stage")
    weight: int = Field(default=0, ge=0, le=100, description="The new tier's share of traffic (%), one of steps")
    steps: list[int] = Field(default_factory=lambda: list(DEFAULT_STEPS), description="Weights the traffic moves through, 0 first and 100 last")
    bake_minutes: int = Field(default=30, ge=0, le=10080, description="Minutes each step runs before the next shift")
    step_started_at: datetime | None = Field(default=None, description="When the current weight was set (UTC, ISO 8601)")
    rolled_back: bool = Field(default=False, description="Set by rollback: all traffic on fromTier")
    rolled_back_at: datetime | None = Field(default=None, description="When rollback ran")
    rollback_reason: str | None = Field(default=None, description="Why rollback ran")

    @model_validator(mode="after")
    def _check(self) -> TierMigration:
        if STAGE_BY_TIER[self.to_tier] != STAGE_BY_TIER[self.from_tier] + 1:
            raise ValueError(f"toTier = {self.to_tier!r} after fromTier = {self.from_tier!r}: a service moves up one stage at a time (lambda -> fargate -> eks)")
        steps = self.steps
        if len(steps) < 2 or steps[0] != 0 or steps[-1] != 100 or any(b <= a for a, b in zip(steps, steps[1:])):
            raise ValueError(f"steps = {steps}: expected strictly increasing weights from 0 to 100, e.g. {list(DEFAULT_STEPS)}")
        if self.weight not in steps:
            raise ValueError(f"weight = {self.weight}: expected one of steps {steps}")
        return self

    def weights(self) -> dict[str, int]:
        """Share of traffic per tier: {from_tier: 100 - weight, to_tier: weight}; 100/0 once rolled back."""
        weight = 0 if self.rolled_back else self.weight
        return {self.from_tier: 100 - weight, self.to_tier: weight}
