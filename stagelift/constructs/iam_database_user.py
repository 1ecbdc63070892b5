"""A PostgreSQL user that logs in with IAM authentication tokens, created once per deploy.

Pods connect as ``<user>`` with a token signed by their IAM role (``rds-db:connect``); RDS accepts
tokens only for members of the ``rds_iam`` role, and the user must exist before the first pod
starts: a service's migrations cannot create the user they connect as.

``IamDatabaseUser`` runs ``iam_user_sql`` through the RDS Data API (an ``AwsCustomResource``
calling ``rds-data:ExecuteStatement`` with the cluster's master secret): no Lambda in the VPC, no
database driver to bundle, the master password never leaves Secrets Manager and AWS. It needs an
Aurora cluster (the Data API is an Aurora feature); the construct turns the cluster's HTTP endpoint
on. The statement is one idempotent ``DO`` block behind an advisory lock, so a re-run (stack
update) or two stacks at once leave one user with the same grants.

(For password users and RDS instances, ``stagelift/functions/database_users`` runs in the VPC; its
``create_application_users`` could take the same ``iam_user_sql`` for an IAM-user option.)
"""

from __future__ import annotations

import re

from aws_cdk import aws_iam as iam
from aws_cdk import aws_rds as rds
from aws_cdk import custom_resources as cr
from constructs import Construct

from .generated_nag import acknowledge_aws_custom_resource_handler
from .dependencies import drop_function_role_dependencies

RDS_IAM_ROLE = "rds_iam"
# Any fixed 64-bit key shared by every run against the same cluster ("iamuser" in ASCII).
LOCK_KEY = 0x69616D75736572
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def iam_user_sql(user: str, database: str) -> str:
    """One idempotent statement: create ``user`` (LOGIN, no password) if missing, make it a member of
    ``rds_iam``, and let it connect to ``database`` and create tables in its ``public`` schema.

    :raises ValueError: a name that is not a plain lowercase PostgreSQL identifier.
    """
    for label, name in (("user", user), ("database", database)):
        if not _NAME.match(name):
            raise ValueError(f"{label} = {name!r}: expected a lowercase PostgreSQL identifier (letters, digits, _; at most 63)")
    return (
        "DO $stagelift$\n"
        "BEGIN\n"
        f"  PERFORM pg_advisory_xact_lock({LOCK_KEY});\n"
        f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}') THEN\n"
        f'    CREATE ROLE "{user}" LOGIN;\n'
        "  END IF;\n"
        f'  GRANT {RDS_IAM_ROLE} TO "{user}";\n'
        f'  GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{user}";\n'
        f'  GRANT USAGE, CREATE ON SCHEMA public TO "{user}";\n'
        "END\n"
        "$stagelift$"
    )


class IamDatabaseUser(Construct):
    """Create an IAM-authenticated user in an Aurora PostgreSQL cluster at deploy time (RDS Data API).

    Attributes: ``user``, ``resource`` (the ``AwsCustomResource``; depend on it to start after it).
    """

    def __init__(self, scope: Construct, id: str, *, cluster: rds.DatabaseCluster, user: str, database: str) -> None:
        """
        :param cluster: Aurora PostgreSQL cluster with a master secret; its Data API is turned on.
        :param user: the user to create (pods connect as it with IAM tokens).
        :param database: the database it works in (CONNECT, and CREATE on ``public``).
        """
        super().__init__(scope, id)
        # The handler functions aws-cdk-lib generates here name their role twice (W3005).
        drop_function_role_dependencies(self)
        if cluster.secret is None:
            raise ValueError("cluster has no master secret: the Data API runs the statement with it")
        self.user = user
        sql = iam_user_sql(user, database)
        cfn = cluster.node.default_child
        assert isinstance(cfn, rds.CfnDBCluster)
        cfn.enable_http_endpoint = True
        call = cr.AwsSdkCall(
            service="rds-data",
            action="ExecuteStatement",
            parameters={"resourceArn": cluster.cluster_arn, "secretArn": cluster.secret.secret_arn, "database": database, "sql": sql},
            # The statement is idempotent: the user name identifies the resource.
            physical_resource_id=cr.PhysicalResourceId.of(f"iam-user-{user}"),
        )
        self.resource = cr.AwsCustomResource(
            self,
            "Statement",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(actions=["rds-data:ExecuteStatement"], resources=[cluster.cluster_arn]),
                    iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[cluster.secret.secret_arn]),
                ]
            ),
            install_latest_aws_sdk=False,
        )
        # Only once the writer accepts connections (the ARN reference waits for the cluster only).
        writer = cluster.node.try_find_child("Writer")
        if writer is not None:
            self.resource.node.add_dependency(writer)
        acknowledge_aws_custom_resource_handler(self)
