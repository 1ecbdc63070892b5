"""Sign-in for the portal: a Cognito user pool, its hosted domain and the portal's OIDC client."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration, RemovalPolicy, SecretValue
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ...config.portal import PortalConfig
from ..nag import acknowledge

# Backstage's OIDC auth provider completes sign-in on this path of the backend.
OIDC_CALLBACK_PATH = "/api/auth/oidc/handler/frame"
GROUPS: dict[str, str] = {
    "admins": "Platform administrators: manage the catalog and the portal",
    "developers": "Service teams: browse the catalog and create services from templates",
}
MFA: dict[str, cognito.Mfa] = {"OFF": cognito.Mfa.OFF, "OPTIONAL": cognito.Mfa.OPTIONAL, "ON": cognito.Mfa.REQUIRED}


class PortalIdentity(Construct):
    """User pool with a strong password policy, MFA per profile, threat protection and email recovery.

    The app client uses the authorization-code flow with a client secret. Client id and secret
    are copied into a Secrets Manager secret by CloudFormation itself (``ClientSecret``
    attribute), so no custom resource reads them and they reach the tasks only as secrets.
    """

    def __init__(self, scope: Construct, id: str, *, config: PortalConfig, base_urls: Sequence[str]) -> None:
        """
        :param base_urls: origins the portal is served on; callback and logout URLs derive from them.
        """
        super().__init__(scope, id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(email=cognito.StandardAttribute(required=True, mutable=True)),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=MFA[config.mfa],
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False) if config.mfa != "OFF" else None,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=config.retain_data,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )
        # The prefix must be unique in the region across all accounts: the account id makes it so.
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"{config.portal_name}-{config.environment}-{Aws.ACCOUNT_ID}")
        )
        self.client = self.user_pool.add_client(
            "PortalClient",
            generate_secret=True,
            auth_flows=cognito.AuthFlow(user_srp=False, user_password=False, custom=False, admin_user_password=False),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{url}{OIDC_CALLBACK_PATH}" for url in base_urls],
                logout_urls=list(base_urls),
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )
        cfn_client = self.client.node.default_child
        assert isinstance(cfn_client, cognito.CfnUserPoolClient)
        self.client_secret = secretsmanager.Secret(
            self,
            "ClientSecret",
            description="OIDC client of the Backstage portal (Cognito app client id and secret)",
            secret_object_value={
                "clientId": SecretValue.unsafe_plain_text(self.client.user_pool_client_id),
                "clientSecret": SecretValue.resource_attribute(cfn_client.attr_client_secret),
            },
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.client_secret,
            "AwsSolutions-SMG4",
            "Cognito app client secrets cannot be rotated in place; replacing the client (a new logical id) issues a new secret.",
        )
        self.groups = [
            cognito.CfnUserPoolGroup(self, f"{name.capitalize()}Group", user_pool_id=self.user_pool.user_pool_id, group_name=name, description=text)
            for name, text in GROUPS.items()
        ]
        if config.mfa != "ON":
            acknowledge(self.user_pool, "AwsSolutions-COG2", f"MFA is {config.mfa} ({config.why_weakened('mfa')}).")

    @property
    def metadata_url(self) -> str:
        """OpenID Connect discovery document of the user pool."""
        return f"https://cognito-idp.{Aws.REGION}.amazonaws.com/{self.user_pool.user_pool_id}/.well-known/openid-configuration"
