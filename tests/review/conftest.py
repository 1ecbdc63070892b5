"""The base and head assemblies (tests/review/assemblies.py), synthesized once per test process."""

from __future__ import annotations

from pathlib import Path

import pytest

from stagelift.review import review
from tests.review.assemblies import synthesize


@pytest.fixture(scope="session")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("assemblies")
    return synthesize(root / "base", head=False), synthesize(root / "head", head=True)


@pytest.fixture(scope="session")
def result(assemblies: tuple[Path, Path]) -> dict:
    return review(*assemblies)


def stack(result: dict, stack_id: str) -> dict:
    return next(s for s in result["stacks"] if s["id"] == stack_id)


def resource(result: dict, stack_id: str, type_: str, action: str | None = None) -> dict:
    found = [r for r in stack(result, stack_id)["resources"] if r["type"] == type_ and (action is None or r["action"] == action)]
    assert len(found) == 1, f"expected one {type_} {action or ''} in {stack_id}, found {found}"
    return found[0]
