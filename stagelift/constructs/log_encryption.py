"""KMS keys that CloudWatch Logs can use to encrypt log groups.

CloudWatch Logs calls KMS as the regional service principal ``logs.<region>.amazonaws.com`` and
names the log group in the encryption context; the key policy must allow exactly that, scoped
with ``kms:EncryptionContext:aws:logs:arn`` (CloudWatch Logs user guide, "Encrypt log data in
CloudWatch Logs using AWS KMS"). ``logs.amazonaws.com`` is not the principal it uses: a log group
associated with such a key fails to be created.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

LOGS_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
ENCRYPTION_CONTEXT_KEY = "kms:EncryptionContext:aws:logs:arn"


def allow_cloudwatch_logs(key: kms.IKey, *, log_group_name: str | None = None) -> None:
    """Let CloudWatch Logs of ``key``'s account and region use ``key`` for ``log_group_name`` (default: any log group).

    :param key: a key created in this stack (an imported key's policy cannot be changed).
    :param log_group_name: scope the grant to one log group with a fixed name; default every log
        group of the account and region (a generated name cannot be named here without a
        dependency cycle between the key and the group).
    """
    stack = Stack.of(key)
    log_groups = stack.format_arn(
        service="logs", resource="log-group", resource_name=log_group_name or "*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsEncryptsLogGroups",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=LOGS_KEY_ACTIONS,
            resources=["*"],
            conditions={"ArnLike": {ENCRYPTION_CONTEXT_KEY: log_groups}},
        )
    )


def log_group_key(
    scope: Construct, id: str, *, description: str, removal_policy: RemovalPolicy = RemovalPolicy.DESTROY, log_group_name: str | None = None
) -> kms.Key:
    """A rotating customer-managed key that CloudWatch Logs may use for log groups (see ``allow_cloudwatch_logs``).

    :param description: what the key encrypts.
    :param removal_policy: default DESTROY (RETAIN keeps the key, and so the logs readable, after the stack is deleted).
    :param log_group_name: the one log group the key serves, when its name is fixed; default any log group.
    """
    key = kms.Key(scope, id, description=description, enable_key_rotation=True, removal_policy=removal_policy)
    allow_cloudwatch_logs(key, log_group_name=log_group_name)
    return key
