"""Key policy statements that AWS services need before they can use a customer-managed KMS key."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

# What CloudWatch Logs needs to encrypt and read a log group (CloudWatch Logs user guide,
# "Encrypt log data in CloudWatch Logs using AWS Key Management Service", step 2).
LOGS_ACTIONS: tuple[str, ...] = ("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*")


def allow_cloudwatch_logs(key: kms.Key) -> None:
    """Let CloudWatch Logs of the key's own region use ``key``, for log groups of its own account only.

    The principal is regional (``logs.<region>.amazonaws.com``, not ``logs.amazonaws.com``) and
    the ``kms:EncryptionContext:aws:logs:arn`` condition keeps other accounts' log groups out.
    """
    stack = Stack.of(key)
    log_groups = stack.format_arn(service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfThisAccount",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(LOGS_ACTIONS),
            resources=["*"],
            conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
        )
    )
