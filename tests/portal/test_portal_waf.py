"""The portal's web ACL, read for what it does: Backstage's large API bodies pass, large bodies elsewhere and floods do not."""

from __future__ import annotations

import pytest

from stagelift.config import ConfigError, load_portal_config

from .conftest import PROFILE_CONTEXT, synth_profile
from .waf_model import Request, evaluate

TWO_MB = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def web_acl() -> dict:
    return synth_profile("production").one("AWS::WAFv2::WebACL")["Properties"]


@pytest.mark.parametrize(
    "path",
    ["/api/scaffolder/v2/tasks", "/api/scaffolder/v2/dry-run", "/api/catalog/locations", "/api/catalog/entities/by-refs", "/api/catalog/validate-entity"],
)
def test_large_posts_to_the_scaffolder_and_catalog_are_not_blocked_by_the_body_size_rule(web_acl: dict, path: str) -> None:
    assert evaluate(web_acl, Request("POST", path, body_bytes=TWO_MB)).action == "Allow"


@pytest.mark.parametrize(
    "request_",
    [
        Request("POST", "/api/auth/oidc/refresh", body_bytes=TWO_MB),
        Request("POST", "/", body_bytes=TWO_MB),
        Request("PUT", "/api/scaffolder/v2/tasks", body_bytes=TWO_MB),
        Request("POST", "/api/catalogue/x", body_bytes=TWO_MB),
        Request("POST", "/api/scaffolder/../proxy/x", body_bytes=TWO_MB),
        Request("POST", "/api/scaffolder/%2e%2e/proxy/x", body_bytes=TWO_MB),
    ],
    ids=["auth", "root", "put-scaffolder", "lookalike-prefix", "dot-dot", "encoded-dot-dot"],
)
def test_large_bodies_elsewhere_are_still_blocked(web_acl: dict, request_: Request) -> None:
    verdict = evaluate(web_acl, request_)
    assert verdict.action == "Block" and verdict.rule == "LargeBodyOutsideBackstageApi", verdict


def test_small_requests_pass(web_acl: dict) -> None:
    assert evaluate(web_acl, Request("POST", "/api/auth/oidc/refresh", body_bytes=512)).action == "Allow"
    assert evaluate(web_acl, Request("GET", "/catalog")).action == "Allow"


def _rate_rule(acl: dict) -> dict:
    (rule,) = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    return rule


def test_rate_rule_blocks_one_address_above_the_default_limit(web_acl: dict) -> None:
    rule = _rate_rule(web_acl)
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"]["RateBasedStatement"] == {"Limit": 5000, "AggregateKeyType": "IP", "EvaluationWindowSec": 300}
    assert rule["Priority"] == min(r["Priority"] for r in web_acl["Rules"]), "floods are stopped before any rule group runs"


def test_rate_limit_is_configurable() -> None:
    acl = synth_profile("staging", wafRateLimit=1200).one("AWS::WAFv2::WebACL")["Properties"]
    assert _rate_rule(acl)["Statement"]["RateBasedStatement"]["Limit"] == 1200


def test_rate_limit_below_what_waf_accepts_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"wafRateLimit = 5: Input should be greater than or equal to 10"):
        load_portal_config({**PROFILE_CONTEXT["production"], "wafRateLimit": 5})


def test_priorities_are_unique(web_acl: dict) -> None:
    priorities = [r["Priority"] for r in web_acl["Rules"]]
    assert len(priorities) == len(set(priorities))
