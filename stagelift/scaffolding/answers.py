"""Check a skeleton's answers: per-answer rules, then the tier's configuration model."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import ValidationError

from stagelift.config.errors import describe

from .questions import TIERS, TierSpec
from .rules import check_answers_standalone, coerce


def answer_rules(tier: str) -> dict[str, dict[str, object]]:
    """Per-answer rules of a tier, keyed by answer name (embedded in the pre-generation hook)."""
    return {q.name: q.rule() for q in TIERS[tier].questions}


def model_values(spec: TierSpec, answers: Mapping[str, object]) -> dict[str, object]:
    """The configuration-model values the answers stand for (unset optionals left out)."""
    values: dict[str, object] = {}
    for q in spec.questions:
        if not q.from_model:
            continue
        value = answers.get(q.name)
        if value is None or value == "":
            continue
        values[q.name] = coerce(q.rule(), value)
    return values


def _snake_case_keys(text: str, spec: TierSpec) -> str:
    """Name answers as the user typed them (memory_mib), not as model aliases (memoryMib)."""
    for name, info in spec.model.model_fields.items():
        if info.alias and info.alias != name:
            text = re.sub(rf"\b{info.alias}\b", name, text)
    return text


def check_answers(tier: str, answers: Mapping[str, object]) -> list[str]:
    """Every problem with ``answers`` for ``tier``: each names the answer, its value and what is allowed."""
    spec = TIERS[tier]
    problems = check_answers_standalone(answer_rules(tier), answers)
    if problems:
        return problems
    try:
        spec.model.model_validate(model_values(spec, answers))
    except ValidationError as error:
        return [_snake_case_keys(p, spec) for p in describe(error, spec.model)]
    return []
