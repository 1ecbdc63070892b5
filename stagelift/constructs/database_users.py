"""Application users of a PostgreSQL database, created once per deploy by a one-shot function.

The function (``stagelift/functions/database_users``) is the only thing that reads the master
secret: the service's tasks get their own user's secret and nothing else.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, CustomResource, Duration, ILocalBundling, IStableListProducer, Lazy, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import custom_resources as cr
from constructs import Construct

from .nag import acknowledge, default_policy
from .dependencies import drop_function_role_dependencies

FUNCTION_DIR = Path(__file__).resolve().parent.parent / "functions" / "database_users"
# The function's driver: pure Python, copied with its own dependencies from this environment.
DRIVER_DISTRIBUTION = "pg8000"
RUNTIME = lambda_.Runtime.PYTHON_3_14


def _distribution_closure(name: str) -> list[importlib.metadata.Distribution]:
    """``name`` and every distribution it requires (markers ignored: all are pure Python)."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        key = current.lower().replace("_", "-")
        if key in seen:
            continue
        distribution = importlib.metadata.distribution(current)
        seen[key] = distribution
        for requirement in distribution.requires or []:
            if "extra ==" in requirement:
                continue
            name_match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
            if name_match:
                pending.append(name_match.group(0))
    return list(seen.values())


def bundle_function(output_dir: Path) -> None:
    """Write the function's asset: ``index.py`` plus the installed files of its driver and their dependencies."""
    shutil.copy2(FUNCTION_DIR / "index.py", output_dir / "index.py")
    for distribution in _distribution_closure(DRIVER_DISTRIBUTION):
        for file in distribution.files or []:
            parts = Path(file).parts
            if parts[0] == ".." or "__pycache__" in parts or parts[0].endswith(".dist-info") or file.suffix == ".pyc":
                continue
            target = output_dir / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(distribution.locate_file(file)), target)


@jsii.implements(ILocalBundling)
class _LocalBundling:
    """Bundles without Docker (CI has none): the driver is pure Python, so a copy is a build."""

    def try_bundle(self, output_dir: str, *_options: object, **_keywords: object) -> bool:
        bundle_function(Path(output_dir))
        return True


@jsii.implements(IStableListProducer)
class _SecretArns:
    """The users' secret ARNs, read at synthesis (users are added after the resource exists)."""

    def __init__(self, secrets: list[secretsmanager.ISecret]) -> None:
        self._secrets = secrets

    def produce(self) -> list[str]:
        return [secret.secret_arn for secret in self._secrets]


class DatabaseUsers(Construct):
    """A custom resource that creates application users (and their ``_clone`` partners) in PostgreSQL.

    A Lambda function in ``subnets`` reads the master secret and each user's secret, connects
    with TLS and creates what is missing, in one transaction behind an advisory lock; it never
    changes an existing password. CloudFormation runs it on create and whenever the set of
    users (secrets) or the function's code changes. The function's security group may reach the
    database port; the subnets must reach Secrets Manager (a NAT route or an interface endpoint).
    Add users with ``add_user``; make the consumers depend on this construct.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        database_security_group: ec2.ISecurityGroup,
        host: str,
        port: int,
        database_name: str,
        master_secret: secretsmanager.ISecret,
        grant_schema: bool = False,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        encryption_key: kms.IKey | None = None,
        log_group_name_prefix: str | None = None,
    ) -> None:
        """
        :param vpc: the database's VPC.
        :param subnets: where the function runs: subnets with a route to Secrets Manager (NAT or endpoint).
        :param database_security_group: the database's security group; the function is let in on ``port``.
        :param host: database endpoint address.
        :param port: database port.
        :param database_name: database the function connects to.
        :param master_secret: master credentials (username, password); only this function may read them.
        :param grant_schema: users also get CONNECT/TEMPORARY on ``database_name`` and USAGE/CREATE on its public schema; default False.
        :param log_retention: retention of the function's logs; default one month.
        :param encryption_key: KMS key of the function's log groups; default none (CloudWatch Logs' own encryption).
        :param log_group_name_prefix: names the log groups ``<prefix>/function`` and ``<prefix>/provider``
            (so a key policy can name them before they exist); default generated names.
        """
        super().__init__(scope, id)
        # The handler functions aws-cdk-lib generates here name their role twice (W3005).
        drop_function_role_dependencies(self)
        self._user_secrets: list[secretsmanager.ISecret] = []
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="Database users function: PostgreSQL and HTTPS to Secrets Manager", allow_all_outbound=True
        )
        database_security_group.add_ingress_rule(self.security_group, ec2.Port.tcp(port), "Database users function")
        removal = RemovalPolicy.DESTROY
        names = (f"{log_group_name_prefix}/function", f"{log_group_name_prefix}/provider") if log_group_name_prefix else (None, None)
        self.log_group = logs.LogGroup(
            self, "Logs", log_group_name=names[0], retention=log_retention, encryption_key=encryption_key, removal_policy=removal
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_asset(
                str(FUNCTION_DIR),
                bundling=BundlingOptions(image=RUNTIME.bundling_image, local=_LocalBundling()),  # type: ignore[arg-type]
            ),
            description="Creates the application's database users (runs at deploy time)",
            timeout=Duration.minutes(2),
            memory_size=256,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            log_group=self.log_group,
        )
        master_secret.grant_read(self.function)
        self.provider_log_group = logs.LogGroup(
            self, "ProviderLogs", log_group_name=names[1], retention=log_retention, encryption_key=encryption_key, removal_policy=removal
        )
        self.provider = cr.Provider(self, "Provider", on_event_handler=self.function, log_group=self.provider_log_group)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=self.provider.service_token,
            resource_type="Custom::DatabaseUsers",
            properties={
                "Host": host,
                "Port": str(port),
                "DatabaseName": database_name,
                "MasterSecretArn": master_secret.secret_arn,
                "UserSecretArns": Lazy.list(_SecretArns(self._user_secrets)),
                "GrantSchema": str(grant_schema).lower(),
                # New code runs again on the next deploy, even when nothing else changed.
                "CodeHash": hashlib.sha256((FUNCTION_DIR / "index.py").read_bytes()).hexdigest(),
            },
        )
        # The function needs its route out (NAT) and its way in (the ingress rule) before it runs.
        self.resource.node.add_dependency(vpc.select_subnets(**_selection_kwargs(subnets)).internet_connectivity_established)
        self.resource.node.add_dependency(database_security_group)
        self._acknowledge()

    def add_user(self, secret: secretsmanager.ISecret) -> None:
        """Create the user ``secret`` names (``username``) with its ``password`` if missing.

        The function's properties name the secret (its ARN, a ``Ref``), so CloudFormation creates
        it first; no dependency on the secret's construct, whose rotation schedule must wait for the
        user instead (its first rotation starts at once).
        """
        self._user_secrets.append(secret)
        secret.grant_read(self.function)

    @property
    def user_secrets(self) -> Iterable[secretsmanager.ISecret]:
        return tuple(self._user_secrets)

    def _acknowledge(self) -> None:
        partition = "arn:<AWS::Partition>:iam::aws:policy/service-role"
        for role in (self.function.role, self.provider.node.find_child("framework-onEvent").node.find_child("ServiceRole")):
            acknowledge(
                role,  # type: ignore[arg-type]
                f"AwsSolutions-IAM4[Policy::{partition}/AWSLambdaBasicExecutionRole]",
                "The AWS managed basic execution policy only lets the function write its own log streams.",
            )
        acknowledge(
            self.function.role,  # type: ignore[arg-type]
            f"AwsSolutions-IAM4[Policy::{partition}/AWSLambdaVPCAccessExecutionRole]",
            "A function in a VPC needs exactly this AWS managed policy to create and delete its network interfaces.",
        )
        framework = self.provider.node.find_child("framework-onEvent")
        stack = Stack.of(self)
        function_id = stack.get_logical_id(self.function.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            default_policy(framework.node.find_child("ServiceRole")),  # type: ignore[arg-type]
            f"AwsSolutions-IAM5[Resource::<{function_id}.Arn>:*]",
            "The provider framework may invoke any version of the database users function, and nothing else.",
        )
        acknowledge(
            framework,
            "AwsSolutions-L1",
            "The CDK provider framework picks its own Node.js runtime; it only relays CloudFormation events to the database users function.",
        )


def _selection_kwargs(selection: ec2.SubnetSelection) -> dict[str, object]:
    return {
        "availability_zones": selection.availability_zones,
        "one_per_az": selection.one_per_az,
        "subnet_filters": selection.subnet_filters,
        "subnet_group_name": selection.subnet_group_name,
        "subnets": selection.subnets,
        "subnet_type": selection.subnet_type,
    }
