"""Production's customer-managed key: one key, rotated, usable by CloudWatch Logs and Secrets Manager, on the portal's secrets and logs."""

from __future__ import annotations

import json

import pytest

from stagelift.config import ConfigError, load_portal_config

from .conftest import PROFILE_CONTEXT, SynthesizedPortal, synth_profile

KEY_DESCRIPTION = "secrets and log groups"


def portal_key(portal: SynthesizedPortal) -> tuple[str, dict]:
    (found,) = [(k, v) for k, v in portal.of_type("AWS::KMS::Key").items() if KEY_DESCRIPTION in v["Properties"]["Description"]]
    return found


def key_arn(logical_id: str) -> dict:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


@pytest.fixture(scope="module")
def production() -> SynthesizedPortal:
    return synth_profile("production")


def test_production_has_one_rotated_retained_key(production: SynthesizedPortal) -> None:
    _, key = portal_key(production)
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_key_policy_lets_regional_cloudwatch_logs_use_it_for_this_account_only(production: SynthesizedPortal) -> None:
    _, key = portal_key(production)
    (logs,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Principal"].get("Service") == "logs.us-east-1.amazonaws.com"]
    assert {"kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"} <= set(logs["Action"])
    condition = json.dumps(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert ":logs:" in condition and "AWS::AccountId" in condition and "log-group:*" in condition


def test_portal_secrets_and_log_groups_use_the_key(production: SynthesizedPortal) -> None:
    key_id, _ = portal_key(production)
    secrets = {k: v["Properties"] for k, v in production.of_type("AWS::SecretsManager::Secret").items()}
    own = {k: p for k, p in secrets.items() if k.startswith(("PortalSessionSecret", "PortalIdentityClientSecret"))}
    assert len(own) == 2
    assert all(p.get("KmsKeyId") == key_arn(key_id) for p in own.values()), own
    groups = {k: v["Properties"] for k, v in production.of_type("AWS::Logs::LogGroup").items()}
    service_logs = [p for k, p in groups.items() if k.startswith("PortalServiceLogs")]
    waf_logs = [p for p in groups.values() if str(p.get("LogGroupName", "")).startswith("aws-waf-logs-")]
    assert len(service_logs) == len(waf_logs) == 1
    assert service_logs[0]["KmsKeyId"] == key_arn(key_id) and waf_logs[0]["KmsKeyId"] == key_arn(key_id)


def test_key_policy_lets_secrets_manager_use_it_and_the_tasks_decrypt_through_it(production: SynthesizedPortal) -> None:
    _, key = portal_key(production)
    through_secrets_manager = [
        s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService") == "secretsmanager.us-east-1.amazonaws.com"
    ]
    # Secrets Manager encrypts new secret versions for this account's principals...
    assert any({"kms:Encrypt", "kms:GenerateDataKey*", "kms:Decrypt"} <= set(s["Action"]) for s in through_secrets_manager)
    # ...and the tasks' execution role, which injects the secrets, may decrypt them (only through Secrets Manager).
    readers = [json.dumps(s["Principal"]) for s in through_secrets_manager if "kms:Decrypt" in s["Action"]]
    assert any("TaskDefinitionExecutionRole" in r for r in readers), readers


def test_existing_production_repositories_keep_aes256(production: SynthesizedPortal) -> None:
    repository = production.one("AWS::ECR::Repository")["Properties"]
    # Absent, as in every earlier release (AES256 is ECR's default): a create-only property left untouched.
    assert "EncryptionConfiguration" not in repository


def test_new_deployments_can_encrypt_the_repository_with_the_key() -> None:
    portal = synth_profile("production", repositoryEncryption="KMS")
    key_id, _ = portal_key(portal)
    assert portal.one("AWS::ECR::Repository")["Properties"]["EncryptionConfiguration"] == {"EncryptionType": "KMS", "KmsKey": key_arn(key_id)}


def test_development_uses_aws_managed_keys() -> None:
    portal = synth_profile("development")
    assert not [v for v in portal.of_type("AWS::KMS::Key").values() if KEY_DESCRIPTION in v["Properties"]["Description"]]
    assert all("KmsKeyId" not in v["Properties"] for k, v in portal.of_type("AWS::SecretsManager::Secret").items() if k.startswith("PortalSessionSecret"))


def test_kms_repository_without_the_portal_key_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"repositoryEncryption = 'KMS' encrypts with the portal's own key: set customerManagedKey = true"):
        load_portal_config({**PROFILE_CONTEXT["staging"], "repositoryEncryption": "KMS"})
