"""Service skeletons: questions derived from the configuration models, and the files generated from them.

``python -m stagelift.scaffolding`` rewrites each ``cookiecutters/<tier>-service/cookiecutter.json``,
``template.yaml`` (Backstage Software Template) and ``<tier>_service_answers.py`` (the answer check).
"""

from .answers import answer_rules, check_answers, model_values
from .generate import generated_files, stale_files, write_files
from .questions import DEFAULT_STAGELIFT_REQUIREMENT, TIERS, Question, TierSpec

__all__ = [
    "answer_rules",
    "DEFAULT_STAGELIFT_REQUIREMENT",
    "TIERS",
    "Question",
    "TierSpec",
    "check_answers",
    "generated_files",
    "model_values",
    "stale_files",
    "write_files",
]
