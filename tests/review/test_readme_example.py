"""The README's example report is what `stagelift review` says today about that change (not hand-written)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from stagelift.generated_blocks import read_block

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_readme_example_is_current() -> None:
    spec = importlib.util.spec_from_file_location("review_example", REPO_ROOT / "tools" / "review_example.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.report()  # two `cdk synth` of the production portal, then `stagelift review`
    assert read_block((REPO_ROOT / "README.md").read_text(), "review-example") == expected.strip(), (
        "README's example review is stale: .venv/bin/python tools/review_example.py --update README.md")
