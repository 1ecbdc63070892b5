"""Weakening a production safeguard needs a recorded reason, and acknowledgments say what is true."""

from __future__ import annotations

import pytest

from stagelift.config import ConfigError, load_portal_config
from tests.portal.conftest import PROFILE_CONTEXT, SynthesizedPortal, synth_profile

MFA_REASON = "Corporate SSO enforces MFA before users reach Cognito"
MULTI_AZ_REASON = "Internal portal, a restore from backup within an hour is acceptable"


def acknowledgments(portal: SynthesizedPortal, rule: str) -> dict[str, str]:
    """construct path -> reason of every acknowledgment of ``rule``."""
    return {
        construct.node.path: reason
        for construct in portal.stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
        for name, reason in entry.data.items()
        if name.endswith(rule)
    }


def test_production_refuses_mfa_off_without_a_reason() -> None:
    with pytest.raises(ConfigError, match=r"mfa = OFF weakens production's default \(ON\).*productionOverrides"):
        load_portal_config({**PROFILE_CONTEXT["production"], "mfa": "OFF"})


@pytest.mark.parametrize("key, value", [("databaseDeletionProtection", False), ("retainData", False), ("waf", False), ("databaseBackupRetentionDays", 7)])
def test_production_refuses_other_weakened_safeguards_without_a_reason(key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=f"{key} = {value} weakens production's default"):
        load_portal_config({**PROFILE_CONTEXT["production"], key: value})


def test_production_mfa_off_with_a_reason_is_acknowledged_with_that_reason() -> None:
    portal = synth_profile("production", mfa="OFF", productionOverrides={"mfa": MFA_REASON})
    [reason] = acknowledgments(portal, "AwsSolutions-COG2").values()
    assert "MFA is OFF" in reason and MFA_REASON in reason
    assert "production requires" not in reason
    overrides = portal.template.to_json()["Metadata"]["StageliftProductionOverrides"]
    assert overrides == {"mfa": {"value": "OFF", "reason": MFA_REASON}}


def test_production_single_az_database_is_acknowledged_with_the_recorded_reason() -> None:
    portal = synth_profile("production", databaseMultiAz=False, productionOverrides={"databaseMultiAz": MULTI_AZ_REASON})
    portal.template.has_resource_properties("AWS::RDS::DBInstance", {"MultiAZ": False})
    [reason] = acknowledgments(portal, "AwsSolutions-RDS3").values()
    assert MULTI_AZ_REASON in reason and "production runs Multi-AZ" not in reason


def test_non_production_reasons_state_the_actual_value() -> None:
    # Development's MFA default is OPTIONAL; set to OFF the reason must not call it optional.
    portal = synth_profile("development", mfa="OFF")
    [reason] = acknowledgments(portal, "AwsSolutions-COG2").values()
    assert reason.startswith("MFA is OFF (development environment")
    assert "optional for users" not in reason


def test_overrides_must_name_a_weakened_safeguard_in_production_only() -> None:
    with pytest.raises(ConfigError, match="productionOverrides = \\['mfa'\\]: only environment = 'production'"):
        load_portal_config({"environment": "development", "productionOverrides": {"mfa": MFA_REASON}})
    with pytest.raises(ConfigError, match="productionOverrides names \\['taskCpu'\\]: allowed keys are mfa, "):
        load_portal_config({**PROFILE_CONTEXT["production"], "productionOverrides": {"taskCpu": MFA_REASON}})
    with pytest.raises(ConfigError, match="productionOverrides gives reasons for \\['mfa'\\], which keep production's default"):
        load_portal_config({**PROFILE_CONTEXT["production"], "productionOverrides": {"mfa": MFA_REASON}})
    with pytest.raises(ConfigError, match="mfa = OFF weakens"):
        load_portal_config({**PROFILE_CONTEXT["production"], "mfa": "OFF", "productionOverrides": {"mfa": "too short"}})


def test_overrides_are_accepted_as_json_from_the_command_line() -> None:
    config = load_portal_config({**PROFILE_CONTEXT["production"], "mfa": "OFF", "productionOverrides": f'{{"mfa": "{MFA_REASON}"}}'})
    assert config.production_overrides == {"mfa": MFA_REASON}
    with pytest.raises(ConfigError, match="productionOverrides"):
        load_portal_config({**PROFILE_CONTEXT["production"], "productionOverrides": "{not json"})
