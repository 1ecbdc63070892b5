"""TechDocs publishing from GitHub Actions: an IAM role GitHub's OIDC tokens assume, writing one bucket."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..nag import acknowledge, default_policy

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# Audience aws-actions/configure-aws-credentials requests by default.
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"


class TechDocsPublisher(Construct):
    """Role a repository of ``organization`` assumes from its docs workflow to run ``techdocs-cli publish``.

    Trust: GitHub's OIDC provider, audience ``sts.amazonaws.com``, subject ``repo:<organization>/*``
    (any branch or environment of any repository of that organisation, nothing else). Permissions:
    ``techdocs-cli publish --publisher-type awsS3`` checks the bucket (HeadBucket), lists what is
    published, uploads the new site and deletes stale pages: s3:ListBucket on the bucket,
    s3:PutObject and s3:DeleteObject on its objects, nothing more.
    Children: ``provider`` (created or imported), ``role``.
    """

    def __init__(self, scope: Construct, id: str, *, bucket: s3.IBucket, organization: str, provider: iam.IOidcProvider | None = None) -> None:
        """
        :param bucket: the portal's TechDocs bucket (SSE-S3: no key grant needed).
        :param organization: GitHub organisation whose repositories may publish.
        :param provider: the account's existing IAM OIDC provider for GitHub; default none (one is created:
            an account holds at most one provider per URL, so pass the existing one where it exists).
        """
        super().__init__(scope, id)
        self.provider: iam.IOidcProvider = provider or iam.OidcProviderNative(
            self, "GitHubOidcProvider", url=f"https://{GITHUB_OIDC_HOST}", client_ids=[GITHUB_OIDC_AUDIENCE]
        )
        self.role = iam.Role(
            self,
            "Role",
            description=f"TechDocs publishing from GitHub Actions of {organization} repositories",
            assumed_by=iam.WebIdentityPrincipal(
                self.provider.oidc_provider_arn,
                conditions={
                    "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE},
                    "StringLike": {f"{GITHUB_OIDC_HOST}:sub": f"repo:{organization}/*"},
                },
            ),
            max_session_duration=Duration.hours(1),
        )
        self.role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        self.role.add_to_policy(iam.PolicyStatement(actions=["s3:PutObject", "s3:DeleteObject"], resources=[bucket.arn_for_objects("*")]))
        bucket_id = Stack.of(self).get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            default_policy(self.role),
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]",
            "A published site is many pages under default/component/<name>/ of the TechDocs bucket; the wildcard covers that bucket's objects only.",
        )
