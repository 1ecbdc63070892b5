"""The portal's GitHub App: its credentials, read from the operator's secret, for the Backstage task."""

from __future__ import annotations

from aws_cdk import Arn, ArnFormat
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

# Keys of the secret's JSON (what `backstage-cli create-github-app` writes, as JSON) -> the
# container variable app-config.github.yaml reads for integrations.github[].apps[].
APP_SECRET_FIELDS: dict[str, str] = {
    "appId": "GITHUB_APP_ID",
    "clientId": "GITHUB_APP_CLIENT_ID",
    "clientSecret": "GITHUB_APP_CLIENT_SECRET",
    "webhookSecret": "GITHUB_APP_WEBHOOK_SECRET",
    "privateKey": "GITHUB_APP_PRIVATE_KEY",
}
# app-config.production.yaml includes the `app` section of app-config.github.yaml when this is set.
SWITCH_VARIABLE = "GITHUB_INTEGRATION"


class PortalGitHubApp(Construct):
    """An existing Secrets Manager secret holding a GitHub App, as container secrets and settings.

    Every field becomes an ECS secret (``ecs.Secret.from_secrets_manager(secret, field)``), so ECS
    grants the task's execution role read access to this one secret (and decrypt on its key when
    one is given) and the values never appear in the template or the task definition.
    """

    def __init__(self, scope: Construct, id: str, *, secret_arn: str, organization: str, encryption_key_arn: str | None = None) -> None:
        """
        :param secret_arn: complete ARN of the secret (JSON with the keys of ``APP_SECRET_FIELDS``).
        :param organization: the GitHub organisation the App is installed in.
        :param encryption_key_arn: customer-managed KMS key of the secret; default none (AWS managed key).
        """
        super().__init__(scope, id)
        self.encryption_key_arn = encryption_key_arn
        key = kms.Key.from_key_arn(self, "Key", encryption_key_arn) if encryption_key_arn else None
        self.secret = secretsmanager.Secret.from_secret_attributes(self, "Secret", secret_complete_arn=secret_arn, encryption_key=key)
        self.secrets: dict[str, ecs.Secret] = {variable: ecs.Secret.from_secrets_manager(self.secret, field) for field, variable in APP_SECRET_FIELDS.items()}
        self.environment: dict[str, str] = {SWITCH_VARIABLE: "app", "GITHUB_ORGANIZATION": organization}

    def grant_decrypt(self, role: iam.IRole) -> None:
        """Let ``role`` (the task's execution role) decrypt the secret's customer-managed key, through Secrets Manager only.

        ECS's grant on an imported secret with an imported key reaches the key's policy alone, which
        a stack cannot change: the role gets the statement instead (the key's policy must let the
        account's IAM policies grant use of it, as the default key policy does).
        """
        if self.encryption_key_arn is None:
            return
        region = Arn.split(self.secret.secret_arn, ArnFormat.COLON_RESOURCE_NAME).region
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[self.encryption_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
            )
        )
