"""Who gets in and who may write: federation with the company's identity provider, TechDocs publishing from GitHub."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from stagelift.config import ConfigError, load_portal_config
from stagelift.config.portal import SAML_EMAIL_CLAIM
from stagelift.parameters import PortalParameter, portal_parameter

from .conftest import synth_profile

SAML_URL = "https://login.example.com/federationmetadata/2007-06/federationmetadata.xml"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal/oidc-client-AbCdEf"
OIDC = {"oidcIssuer": "https://idp.example.com/oauth2/default", "oidcClientId": "0oa1b2c3d4portal", "oidcClientSecretArn": SECRET_ARN}
GITHUB_PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def client_providers(environment: str = "development", **context: object) -> list[object]:
    """The app client's providers, the federated one (a Ref, so created first) as ``"<provider name>"``."""
    portal = synth_profile(environment, **context)
    names = {k: r["Properties"]["ProviderName"] for k, r in portal.of_type("AWS::Cognito::UserPoolIdentityProvider").items()}
    listed = portal.one("AWS::Cognito::UserPoolClient")["Properties"]["SupportedIdentityProviders"]
    return [names[p["Ref"]] if isinstance(p, dict) else p for p in listed]


# --- federation ----------------------------------------------------------------------------------------------


def test_without_federation_only_cognito_users_sign_in() -> None:
    portal = synth_profile("development")
    portal.template.resource_count_is("AWS::Cognito::UserPoolIdentityProvider", 0)
    assert client_providers() == ["COGNITO"]


def test_saml_provider_is_registered_with_its_metadata_url_and_the_email_mapped() -> None:
    portal = synth_profile("development", samlMetadataUrl=SAML_URL)
    portal.template.has_resource_properties(
        "AWS::Cognito::UserPoolIdentityProvider",
        {
            "ProviderName": "Company",
            "ProviderType": "SAML",
            "ProviderDetails": Match.object_like({"MetadataURL": SAML_URL}),
            "AttributeMapping": {"email": SAML_EMAIL_CLAIM},
        },
    )
    assert client_providers(samlMetadataUrl=SAML_URL) == ["COGNITO", "Company"]


def test_oidc_provider_reads_its_client_secret_at_deploy_time() -> None:
    portal = synth_profile("development", **OIDC, identityProviderName="Okta")
    details = portal.one("AWS::Cognito::UserPoolIdentityProvider")["Properties"]
    assert details["ProviderType"] == "OIDC" and details["ProviderName"] == "Okta"
    assert details["AttributeMapping"] == {"email": "email"}
    assert details["ProviderDetails"]["oidc_issuer"] == OIDC["oidcIssuer"]
    assert details["ProviderDetails"]["client_id"] == OIDC["oidcClientId"]
    assert set(details["ProviderDetails"]["authorize_scopes"].split()) == {"openid", "email", "profile"}
    # A Secrets Manager dynamic reference, resolved by CloudFormation: never a value in the template.
    assert details["ProviderDetails"]["client_secret"] == f"{{{{resolve:secretsmanager:{SECRET_ARN}:SecretString:::}}}}"
    # The secret is named in that one place only: not as a parameter, output or environment value.
    assert json.dumps(portal.template.to_json()).count(SECRET_ARN) == 1
    assert client_providers(**OIDC, identityProviderName="Okta") == ["COGNITO", "Okta"]


@pytest.mark.parametrize("federation", [{"samlMetadataUrl": SAML_URL}, OIDC], ids=["saml", "oidc"])
def test_local_users_off_leaves_only_the_company_provider(federation: dict[str, object]) -> None:
    assert client_providers("production", **federation, localUsers=False, domainName="backstage.example.com", hostedZoneId="Z0123456789ABCDEFGHIJ", hostedZoneName="example.com") == ["Company"]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"localUsers": False}, r"localUsers = false needs a company identity provider \(samlMetadataUrl, or oidcIssuer"),
        ({"samlMetadataUrl": SAML_URL, **OIDC}, r"samlMetadataUrl and oidcIssuer are both set: give one company identity provider"),
        ({"oidcIssuer": OIDC["oidcIssuer"]}, r"oidcIssuer, oidcClientId, oidcClientSecretArn go together; missing: oidcClientId, oidcClientSecretArn"),
        ({"samlMetadataUrl": "http://login.example.com/metadata.xml"}, r"samlMetadataUrl = 'http://login.example.com/metadata.xml'"),
        ({**OIDC, "oidcClientSecretArn": "arn:aws:ssm:us-east-1:123456789012:parameter/secret"}, r"oidcClientSecretArn = 'arn:aws:ssm:"),
        ({"samlMetadataUrl": SAML_URL, "identityProviderName": "COGNITO_"}, r"identityProviderName = 'COGNITO_'"),
        ({"samlMetadataUrl": SAML_URL, "identityProviderName": "My Company"}, r"identityProviderName = 'My Company'"),
        ({"samlMetadataUrl": SAML_URL, "identityProviderName": "Cognito"}, r"identityProviderName = 'Cognito' is reserved by Cognito"),
        ({"githubOidcProviderArn": GITHUB_PROVIDER_ARN}, r"githubOidcProviderArn = .* is set but githubOrganization is not"),
        ({"githubOrganization": "acme_corp"}, r"githubOrganization = 'acme_corp'"),
        ({"githubOrganization": "acme", "githubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"}, r"githubOidcProviderArn = 'arn:aws:iam::123456789012:oidc-provider/gitlab.com'"),
    ],
    ids=["local-off-alone", "saml-and-oidc", "oidc-incomplete", "saml-http", "secret-not-secrets-manager", "provider-name", "provider-name-space", "provider-name-reserved", "github-provider-alone", "github-org", "github-provider-arn"],
)
def test_bad_access_settings_are_refused_before_synthesis(context: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_portal_config({"environment": "development", **context})


# --- TechDocs publishing from GitHub Actions ---------------------------------------------------------------------


def test_without_an_organisation_there_is_no_publishing_role() -> None:
    portal = synth_profile("development")
    portal.template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    assert not [r for r in portal.of_type("AWS::IAM::Role").values() if "Federated" in json.dumps(r)]
    assert "TechDocsPublisherRoleArn" not in portal.template.to_json()["Outputs"]
    portal.template.has_resource_properties(
        "AWS::SSM::Parameter", {"Name": portal_parameter("development", "backstage", PortalParameter.TECHDOCS_PUBLISHER_ROLE_ARN), "Value": "none"}
    )


def publisher(**context: object) -> tuple[object, dict]:
    portal = synth_profile("development", githubOrganization="acme", **context)
    role_id = portal.stack.get_logical_id(portal.stack.portal.techdocs_publisher.role.node.default_child)
    return portal, portal.resources[role_id]


def test_github_provider_is_created_for_the_sts_audience() -> None:
    portal, _ = publisher()
    portal.template.has_resource_properties(
        "AWS::IAM::OIDCProvider", {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]}
    )


def test_role_trusts_only_the_organisations_repositories_through_github_oidc() -> None:
    portal, role = publisher()
    provider_id = next(iter(portal.of_type("AWS::IAM::OIDCProvider")))
    statement = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement == [
        {
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Effect": "Allow",
            "Principal": {"Federated": {"Ref": provider_id}},
            "Condition": {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"},
            },
        }
    ]


def test_existing_github_provider_is_imported_not_created() -> None:
    portal, role = publisher(githubOidcProviderArn=GITHUB_PROVIDER_ARN)
    portal.template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": GITHUB_PROVIDER_ARN}


def test_role_writes_and_lists_the_techdocs_bucket_and_nothing_else() -> None:
    portal, _ = publisher()
    stack = portal.stack
    bucket_id = stack.get_logical_id(stack.portal.techdocs_bucket.node.default_child)
    role_id = stack.get_logical_id(stack.portal.techdocs_publisher.role.node.default_child)
    policies = [p for p in portal.of_type("AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert [p["Type"] for p in portal.resources.values() if p["Type"] == "AWS::IAM::ManagedPolicy" and {"Ref": role_id} in p["Properties"].get("Roles", [])] == []
    assert "ManagedPolicyArns" not in portal.resources[role_id]["Properties"] and "Policies" not in portal.resources[role_id]["Properties"]
    assert statements == [
        {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": {"Fn::GetAtt": [bucket_id, "Arn"]}},
        {"Action": ["s3:DeleteObject", "s3:PutObject"], "Effect": "Allow", "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]}},
    ]


def test_bucket_and_role_are_published_for_the_docs_workflow() -> None:
    portal, _ = publisher()
    stack = portal.stack
    role_id = stack.get_logical_id(stack.portal.techdocs_publisher.role.node.default_child)
    bucket_id = stack.get_logical_id(stack.portal.techdocs_bucket.node.default_child)
    outputs = portal.template.to_json()["Outputs"]
    assert outputs["TechDocsPublisherRoleArn"]["Value"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert outputs["TechDocsBucketName"]["Value"] == {"Ref": bucket_id}
    for key, value in ((PortalParameter.TECHDOCS_PUBLISHER_ROLE_ARN, {"Fn::GetAtt": [role_id, "Arn"]}), (PortalParameter.TECHDOCS_BUCKET, {"Ref": bucket_id})):
        portal.template.has_resource_properties("AWS::SSM::Parameter", {"Name": f"/stagelift/development/portal/backstage/{key.value}", "Type": "String", "Value": value})
