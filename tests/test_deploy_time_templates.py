"""Every synthesized stack (portal profiles, every tier example) as AWS would deploy it.

- KMS keys used by CloudWatch Logs allow the regional ``logs.<region>.amazonaws.com`` principal
  with the ``kms:EncryptionContext:aws:logs:arn`` condition (``logs.amazonaws.com`` made the log
  group's creation fail).
- cfn-lint W3010 (hard-coded availability zones) appears nowhere: zones are resolved at deploy time.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from functools import cache

import pytest

from tests.conftest import REPO_ROOT
from tests.portal.conftest import DOMAIN, synth_profile
from tests.portal.test_portal_options import EXISTING_VPC
from tests.template_checks import cfn_lint_rule_ids, logs_key_policy_problems

PORTAL_CASES: dict[str, dict[str, object]] = {
    "development": {"environment": "development"},
    "staging": {"environment": "staging", **DOMAIN},
    "production": {"environment": "production", **DOMAIN, "imageTag": "v1"},
    "production-account": {"environment": "production", **DOMAIN, "account": "123456789012"},
    "production-existing-vpc": {"environment": "production", **DOMAIN, **EXISTING_VPC},
}
EXAMPLES = ("lambda_service", "fargate_service", "eks_service", "service_environment", "tiered_service")


@cache
def example_templates(example: str, outdir: str) -> dict[str, tuple[dict, str]]:
    """Each stack of ``examples/<example>/app.py`` synthesized in-process: name -> (template, region)."""
    spec = importlib.util.spec_from_file_location(f"{example}_example", REPO_ROOT / "examples" / example / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assembly = module.build_app(outdir=outdir).synth()
    return {s.stack_name: (s.template, s.environment.region if s.environment.region != "unknown-region" else "us-east-1") for s in assembly.stacks}


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Mapping[str, object], str]]:
    found: dict[str, tuple[Mapping[str, object], str]] = {}
    for case, context in PORTAL_CASES.items():
        values = dict(context)
        portal = synth_profile(str(values.pop("environment")), **values)
        found[f"portal-{case}"] = (portal.template.to_json(), portal.stack.portal.config.region)
    for example in EXAMPLES:
        for name, entry in example_templates(example, str(tmp_path_factory.mktemp(example))).items():
            found[f"{example}/{name}"] = entry
    return found


def test_every_example_stack_and_portal_case_was_synthesized(templates: dict[str, tuple[Mapping[str, object], str]]) -> None:
    assert {name.split("/")[0] for name in templates if "/" in name} == set(EXAMPLES)
    assert len(templates) >= len(PORTAL_CASES) + 3 * len(EXAMPLES)


def test_keys_for_log_groups_name_the_regional_logs_principal_with_its_condition(templates: dict[str, tuple[Mapping[str, object], str]]) -> None:
    checked = 0
    for name, (template, _) in templates.items():
        assert logs_key_policy_problems(template) == [], name
        checked += sum(
            1
            for r in template["Resources"].values()  # type: ignore[union-attr]
            if r["Type"] == "AWS::KMS::Key" and "logs." in json.dumps(r["Properties"]["KeyPolicy"])
        )
    # Flow logs are on in every profile and example network, and the EKS platforms log the control plane.
    assert checked >= len(PORTAL_CASES) + 2


def test_no_template_hardcodes_an_availability_zone(templates: dict[str, tuple[Mapping[str, object], str]]) -> None:
    for name, (template, region) in templates.items():
        assert [f for f in cfn_lint_rule_ids(template, (region,)) if f.startswith("W3010")] == [], name


def test_zone_names_appear_only_where_a_user_gave_them(templates: dict[str, tuple[Mapping[str, object], str]]) -> None:
    for name, (template, region) in templates.items():
        text = json.dumps(template)
        guessed = [f'"{region}{letter}"' for letter in "abcdef" if f'"{region}{letter}"' in text]
        assert guessed == [] or name == "portal-production-existing-vpc", (name, guessed)


def test_the_checks_catch_what_they_guard_against() -> None:
    # The old flow-log key policy and a subnet in a named zone, as the old code wrote them.
    old_key = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {"KeyPolicy": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "kms:Encrypt*", "Resource": "*"}]}},
            }
        }
    }
    assert logs_key_policy_problems(old_key) == ['Key: "logs.amazonaws.com" regional=False encryption-context condition=False']
    subnet = {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"}},
        }
    }
    assert any(f.startswith("W3010") for f in cfn_lint_rule_ids(subnet, ("us-east-1",)))

