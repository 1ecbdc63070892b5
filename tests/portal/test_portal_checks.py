"""Review checks on every portal template: cfn-lint errors and unacknowledged cdk-nag findings."""

from __future__ import annotations

import pytest

from stagelift.checks import cfn_lint_errors, nag_findings

from .conftest import DOMAIN, synth_profile
from .test_portal_options import CERTIFICATE_ARN, EXISTING_VPC

CASES: dict[str, dict[str, object]] = {
    "development": {"environment": "development"},
    # No domain: CloudFront in front of the internal load balancer, which keeps the regional web ACL.
    "development-waf-behind-cloudfront": {"environment": "development", "waf": True},
    # An opt-in region: CloudFront delivers no standard logs there (acknowledged, not configured).
    "development-opt-in-region": {"environment": "development", "region": "eu-south-1"},
    "development-all-options": {"environment": "development", **DOMAIN, "waf": True, "vpcEndpoints": True, "rotateDatabaseCredentials": True, "imageTag": "v1"},
    "staging": {"environment": "staging", **DOMAIN},
    "staging-existing-vpc-and-certificate": {"environment": "staging", **EXISTING_VPC, "domainName": "portal.example.org", "hostedZoneId": None, "hostedZoneName": None, "certificateArn": CERTIFICATE_ARN},
    "production": {"environment": "production", **DOMAIN, "imageTag": "v1"},
    "development-oidc-federation-techdocs-publisher": {
        "environment": "development",
        "oidcIssuer": "https://idp.example.com",
        "oidcClientId": "portal",
        "oidcClientSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal/oidc-AbCdEf",
        "localUsers": False,
        "githubOrganization": "acme",
    },
    "development-github-app-with-key": {
        "environment": "development",
        "imageTag": "v1",
        "githubOrganization": "acme",
        "githubAppSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:backstage/github-app-AbC123",
        "githubAppSecretKeyArn": "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
        "signInResolver": "emailLocalPartMatchingUserEntityName",
    },
    "production-saml-federation-existing-github-provider": {
        "environment": "production",
        **DOMAIN,
        "samlMetadataUrl": "https://login.example.com/metadata.xml",
        "githubOrganization": "acme",
        "githubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    },
}


@pytest.mark.parametrize("case", CASES)
def test_cfn_lint_finds_no_error(case: str) -> None:
    context = dict(CASES[case])
    portal = synth_profile(str(context.pop("environment")), **context)
    assert cfn_lint_errors(portal.template.to_json(), regions=(portal.stack.portal.config.region,)) == []


@pytest.mark.parametrize("case", CASES)
def test_cdk_nag_finds_nothing_unacknowledged(case: str) -> None:
    context = dict(CASES[case])
    portal = synth_profile(str(context.pop("environment")), **context)
    assert [str(f) for f in nag_findings(portal.stack)] == []
