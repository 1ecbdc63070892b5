"""Generated repositories' templates as AWS deploys them: no hard-coded availability zone (cfn-lint
W3010, which fails their own CI's lint step) and CloudWatch Logs keys with the regional principal."""

from __future__ import annotations

import pytest

from tests.template_checks import cfn_lint_rule_ids, logs_key_policy_problems

from .conftest import CASES, Generated

CASE_IDS = [(tier, case) for tier, cases in CASES.items() for case in cases]


@pytest.fixture(params=CASE_IDS, ids=[f"{t}-{c}" for t, c in CASE_IDS])
def repo(request: pytest.FixtureRequest, generated: dict[tuple[str, str], Generated]) -> Generated:
    return generated[request.param]


def test_no_availability_zone_is_hard_coded(repo: Generated) -> None:
    region = str(repo.answers.get("aws_region", "us-east-1"))
    for name, template in repo.templates().items():
        assert [f for f in cfn_lint_rule_ids(template, (region,)) if f.startswith("W3010")] == [], name


def test_log_group_keys_name_the_regional_logs_principal(repo: Generated) -> None:
    for name, template in repo.templates().items():
        assert logs_key_policy_problems(template) == [], name
