"""What makes a review fail (exit status 1): a small YAML file, checked before anything is read.

    # .stagelift-review.yaml
    fail_on: [data_at_risk, iam_broadening]   # the default
    max_cost_increase_usd: 50                 # optional: fail when the monthly delta is larger

Every summary count of the report can be named in ``fail_on``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CHECKS = {
    "data_at_risk": "data at risk",
    "iam_broadening": "IAM broadening",
    "open_ingress": "ingress open to the internet",
    "settings_off": "security settings turned off",
    "new_findings": "new cfn-lint findings",
    "new_acknowledgments": "new cdk-nag acknowledgments",
    "replaced": "resources replaced",
    "removed": "resources removed",
}
DEFAULT_FAIL_ON = ("data_at_risk", "iam_broadening")


class PolicyError(ValueError):
    pass


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fail_on: list[str] = Field(default_factory=lambda: list(DEFAULT_FAIL_ON))
    max_cost_increase_usd: Decimal | None = None

    def verdict(self, summary: dict) -> dict:
        violations = [f"{CHECKS[check]} ({summary[check]})" for check in self.fail_on if summary.get(check)]
        delta = summary.get("cost_delta_usd")
        if self.max_cost_increase_usd is not None and delta is not None and Decimal(delta) > self.max_cost_increase_usd:
            violations.append(f"monthly cost +${Decimal(delta):.2f} over the allowed +${self.max_cost_increase_usd:.2f}")
        return {"fail_on": list(self.fail_on), "max_cost_increase_usd": (
            str(self.max_cost_increase_usd) if self.max_cost_increase_usd is not None else None),
            "violations": violations, "exit_status": 1 if violations else 0}


def load_policy(path: str | Path | None) -> Policy:
    """The policy in ``path`` (the default one when None); ``PolicyError`` names the bad field."""
    if path is None:
        return Policy()
    try:
        raw = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as error:
        raise PolicyError(f"policy file {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise PolicyError(f"policy file {path}: not valid YAML ({error})") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"policy file {path}: expected a mapping with fail_on / max_cost_increase_usd")
    unknown = [c for c in raw.get("fail_on") or [] if c not in CHECKS]
    if unknown:
        raise PolicyError(f"policy file {path}: fail_on = {unknown[0]!r} is not a check; allowed: {', '.join(CHECKS)}")
    try:
        return Policy.model_validate(raw)
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(p) for p in problem["loc"])
        raise PolicyError(f"policy file {path}: {field} = {problem.get('input')!r}: {problem['msg']}"
                          f" (allowed keys: fail_on, max_cost_increase_usd)") from None
