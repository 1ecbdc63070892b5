"""Checks on synthesized templates for what only a deploy would reveal: KMS key policies for
CloudWatch Logs, and cfn-lint findings of every level (not just errors)."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

LOGS_PRINCIPAL = re.compile(r"^logs\.")
REGIONAL_LOGS_PRINCIPAL = re.compile(r"^logs\.[a-z]{2}(-gov)?-[a-z]+-[0-9]\.amazonaws\.com$")
REGION_TOKEN_PRINCIPAL = {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
CONTEXT_KEY = "kms:EncryptionContext:aws:logs:arn"


def _services(statement: Mapping[str, object]) -> list[object]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or "Service" not in principal:
        return []
    service = principal["Service"]
    return service if isinstance(service, list) else [service]


def _is_logs(service: object) -> bool:
    if isinstance(service, str):
        return bool(LOGS_PRINCIPAL.match(service))
    return json.dumps(service).startswith('{"Fn::Join": ["", ["logs.')


def logs_key_policy_problems(template: Mapping[str, object]) -> list[str]:
    """Every KMS key statement naming CloudWatch Logs that is not the regional principal with the
    ``kms:EncryptionContext:aws:logs:arn`` condition (what CloudWatch Logs documents)."""
    problems = []
    for logical_id, resource in template.get("Resources", {}).items():  # type: ignore[union-attr]
        if resource["Type"] != "AWS::KMS::Key":
            continue
        for statement in resource["Properties"]["KeyPolicy"]["Statement"]:
            for service in _services(statement):
                if not _is_logs(service):
                    continue
                regional = service == REGION_TOKEN_PRINCIPAL or (isinstance(service, str) and REGIONAL_LOGS_PRINCIPAL.match(service))
                conditions = statement.get("Condition", {})
                scoped = any(CONTEXT_KEY in conditions.get(op, {}) for op in ("ArnLike", "ArnEquals"))
                if not regional or not scoped:
                    problems.append(f"{logical_id}: {json.dumps(service)} regional={bool(regional)} encryption-context condition={scoped}")
    return problems


def cfn_lint_rule_ids(template: Mapping[str, object], regions: tuple[str, ...]) -> list[str]:
    """``<rule id> <message>`` for every cfn-lint match (errors, warnings and informational)."""
    from cfnlint.api import ManualArgs, lint_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "template.json")
        path.write_text(json.dumps(template))
        matches = lint_file(path, config=ManualArgs(regions=list(regions)))
    return [f"{m.rule.id} {m.message}" for m in matches]
