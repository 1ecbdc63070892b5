"""A refactor must not replace data: stateful resources keep the logical ids of the last release.

The baseline (``tests/data/stateful_logical_ids.json``, see ``tests/data/README.md``) lists, per
portal configuration and tier example, the logical id and type of every stateful resource that
release synthesized. New stateful resources may appear; an existing one must keep its id and
type, or be listed in ``ACCEPTED_CHANGES`` with the reason its replacement loses nothing.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO_ROOT
from tests.stateful_ids import collect

BASELINE = json.loads((REPO_ROOT / "tests" / "data" / "stateful_logical_ids.json").read_text())

# (configuration, stack, logical id) -> why losing that resource loses no data.
ACCEPTED_CHANGES: dict[tuple[str, str, str], str] = {}


@pytest.fixture(scope="module")
def current() -> dict[str, dict[str, dict[str, str]]]:
    return collect(REPO_ROOT)


def test_baseline_covers_every_configuration(current: dict[str, dict[str, dict[str, str]]]) -> None:
    assert set(BASELINE) <= set(current)
    for configuration, stacks in BASELINE.items():
        assert set(stacks) <= set(current[configuration]), configuration


def test_every_stateful_resource_keeps_its_logical_id(current: dict[str, dict[str, dict[str, str]]]) -> None:
    lost = [
        f"{configuration} {stack} {logical_id} ({resource_type})"
        for configuration, stacks in BASELINE.items()
        for stack, resources in stacks.items()
        for logical_id, resource_type in resources.items()
        if current.get(configuration, {}).get(stack, {}).get(logical_id) != resource_type
        and (configuration, stack, logical_id) not in ACCEPTED_CHANGES
    ]
    assert not lost, "CloudFormation would replace (and lose the data of):\n" + "\n".join(lost)


def test_accepted_changes_are_still_needed(current: dict[str, dict[str, dict[str, str]]]) -> None:
    for (configuration, stack, logical_id), reason in ACCEPTED_CHANGES.items():
        assert len(reason) >= 40, reason
        assert logical_id in BASELINE[configuration][stack], "an accepted change must name a resource of the baseline"
        assert logical_id not in current[configuration].get(stack, {}), f"{logical_id} is kept: drop its accepted change"
