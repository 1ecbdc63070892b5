"""The portal's GitHub App: its secret's fields reach the task, read by the execution role alone."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from stagelift.config import ConfigError, load_portal_config
from stagelift.constructs.portal.github_app import APP_SECRET_FIELDS

from .conftest import SynthesizedPortal, synth_profile

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:backstage/github-app-AbC123"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012"
GITHUB_APP = {"githubOrganization": "acme", "githubAppSecretArn": SECRET_ARN}


@pytest.fixture(scope="module")
def with_app() -> SynthesizedPortal:
    return synth_profile("development", imageTag="v1", **GITHUB_APP, githubAppSecretKeyArn=KEY_ARN, signInResolver="emailLocalPartMatchingUserEntityName")


@pytest.fixture(scope="module")
def without_app() -> SynthesizedPortal:
    return synth_profile("development", imageTag="v1")


def backstage(portal: SynthesizedPortal) -> dict[str, Any]:
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    return next(c for c in containers if c["Name"] == "Backstage")


def execution_statements(portal: SynthesizedPortal) -> list[dict[str, Any]]:
    role = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
    policies = [p["Properties"] for p in portal.of_type("AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def resources(statement: dict[str, Any]) -> list[object]:
    found = statement["Resource"]
    return found if isinstance(found, list) else [found]


def test_each_app_field_is_a_task_secret_from_the_given_arn(with_app: SynthesizedPortal) -> None:
    secrets = {s["Name"]: s["ValueFrom"] for s in backstage(with_app)["Secrets"] if s["Name"].startswith("GITHUB_")}
    assert secrets == {variable: f"{SECRET_ARN}:{field}::" for field, variable in APP_SECRET_FIELDS.items()}
    assert set(APP_SECRET_FIELDS) == {"appId", "clientId", "clientSecret", "webhookSecret", "privateKey"}


def test_the_switch_organisation_and_resolver_are_plain_settings(with_app: SynthesizedPortal, without_app: SynthesizedPortal) -> None:
    environment = {e["Name"]: e["Value"] for e in backstage(with_app)["Environment"]}
    assert environment["GITHUB_INTEGRATION"] == "app"
    assert environment["GITHUB_ORGANIZATION"] == "acme"
    assert environment["AUTH_OIDC_SIGN_IN_RESOLVER"] == "emailLocalPartMatchingUserEntityName"
    default = {e["Name"]: e["Value"] for e in backstage(without_app)["Environment"]}
    assert default["AUTH_OIDC_SIGN_IN_RESOLVER"] == "emailMatchingUserEntityProfileEmail"


def test_the_execution_role_reads_exactly_that_secret(with_app: SynthesizedPortal) -> None:
    reads = [s for s in execution_statements(with_app) if "secretsmanager:GetSecretValue" in s["Action"]]
    external = [r for s in reads for r in resources(s) if isinstance(r, str)]
    # The complete ARN, no `-??????` or `*` widening, and only the execution role reads it.
    assert external == [SECRET_ARN]
    assert all(set(s["Action"]) == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"} for s in reads)
    task_role = with_app.one("AWS::ECS::TaskDefinition")["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    for policy in with_app.of_type("AWS::IAM::Policy").values():
        if {"Ref": task_role} in policy["Properties"]["Roles"]:
            assert SECRET_ARN not in str(policy["Properties"]["PolicyDocument"])


def test_the_execution_role_decrypts_the_given_key_through_secrets_manager_only(with_app: SynthesizedPortal, without_app: SynthesizedPortal) -> None:
    decrypts = [s for s in execution_statements(with_app) if "kms:Decrypt" in s["Action"]]
    assert decrypts == [
        {
            "Action": "kms:Decrypt",
            "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
            "Effect": "Allow",
            "Resource": KEY_ARN,
        }
    ]
    assert not [s for s in execution_statements(without_app) if "kms:Decrypt" in s["Action"]]


def test_without_an_app_the_task_has_no_github_setting(without_app: SynthesizedPortal) -> None:
    container = backstage(without_app)
    assert not [v["Name"] for v in container["Environment"] + container["Secrets"] if v["Name"].startswith("GITHUB_")]
    without_app.template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"ContainerDefinitions": Match.array_with([Match.object_like({"Name": "Backstage", "Secrets": Match.not_(Match.array_with([Match.object_like({"Name": "GITHUB_APP_ID"})]))})])},
    )


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"githubAppSecretArn": SECRET_ARN}, r"githubAppSecretArn = .* is set but githubOrganization is not"),
        ({**GITHUB_APP, "githubAppSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:backstage/github-app"}, r"githubAppSecretArn = .* is a partial ARN"),
        ({**GITHUB_APP, "githubAppSecretArn": "arn:aws:s3:::bucket"}, r"githubAppSecretArn = 'arn:aws:s3:::bucket'"),
        ({"githubAppSecretKeyArn": KEY_ARN}, r"githubAppSecretKeyArn = .* is set but githubAppSecretArn is not"),
        ({**GITHUB_APP, "githubAppSecretKeyArn": "alias/github"}, r"githubAppSecretKeyArn = 'alias/github'"),
        ({"signInResolver": "emailMatchingUserEntityAnnotation"}, r"signInResolver = 'emailMatchingUserEntityAnnotation'.*emailLocalPartMatchingUserEntityName"),
    ],
)
def test_bad_github_settings_are_one_clear_message(context: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_portal_config({"environment": "development", **context})
