"""Line-by-line difference of two estimates of one stack (before and after a change)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .estimate import Estimate

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineDelta:
    item: str
    before: Decimal
    after: Decimal
    before_detail: str | None  # None: the line did not exist
    after_detail: str | None

    @property
    def delta(self) -> Decimal:
        return self.after - self.before


def compare(before: Estimate | None, after: Estimate | None) -> list[LineDelta]:
    """Every item of either estimate (``None``: a stack added or removed), ``after``'s order first."""
    items: list[str] = []
    for est in (after, before):
        if est is not None:
            items.extend(line.item for line in est.lines if line.item not in items)
    deltas = []
    for item in items:
        old = before.line(item) if before is not None else None
        new = after.line(item) if after is not None else None
        deltas.append(
            LineDelta(item, old.monthly_usd if old else ZERO, new.monthly_usd if new else ZERO, old.detail if old else None, new.detail if new else None)
        )
    return deltas


def changed(before: Estimate | None, after: Estimate | None) -> list[LineDelta]:
    """Only the lines whose monthly cost differs."""
    return [d for d in compare(before, after) if d.delta != 0]
