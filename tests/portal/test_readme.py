"""The README documents every portal context key, with the defaults the code really uses."""

from __future__ import annotations

from stagelift.config import CONTEXT_KEYS, PROFILES
from stagelift.config.reference import BLOCK, markdown_table
from stagelift.generated_blocks import read_block
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def reference_section() -> str:
    return read_block(README, BLOCK)


def test_configuration_reference_is_up_to_date() -> None:
    assert reference_section() == markdown_table(), "run: python -m stagelift.config.reference --update README.md"


def test_every_context_key_is_documented_once() -> None:
    rows = [line for line in reference_section().splitlines() if line.startswith("| `")]
    keys = [row.split("`")[1] for row in rows]
    assert sorted(keys) == sorted(CONTEXT_KEYS)


def test_documented_production_defaults_are_the_profile() -> None:
    rows = {row.split("`")[1]: row for row in reference_section().splitlines() if row.startswith("| `")}
    assert "`db.r6g.large`" in rows["databaseInstanceClass"].split("|")[4]
    assert "`true`" in rows["databaseMultiAz"].split("|")[4] and PROFILES["production"]["databaseMultiAz"] is True


def test_readme_gives_the_two_setup_commands_ci_runs() -> None:
    assert "make synth" in README and "make test" in README
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
