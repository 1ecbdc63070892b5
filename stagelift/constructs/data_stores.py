"""Data stores every tier reuses: a queue with its dead-letter queue, PostgreSQL, Redis, DynamoDB.

One concept per class, secure defaults, no lookups. ``production`` switches on what costs money
and protects data (deletion protection, snapshots or retention, Multi-AZ); everything else
(encryption, TLS, private subnets, generated credentials, backups) is always on.
"""

from __future__ import annotations

from typing import Literal

from aws_cdk import ArnFormat, Duration, Names, RemovalPolicy, Stack, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .database_users import DatabaseUsers
from .nag import acknowledge

DatabaseEngine = Literal["postgres", "aurora-serverless"]
CacheEngine = Literal["valkey", "redis"]

POSTGRES_VERSION = rds.PostgresEngineVersion.VER_18_3
# 18.6 exists in aws-cdk-lib 2.275 but its bundled CloudFormation validation (E9006) only knows
# Aurora PostgreSQL up to 18.4, and an unknown version fails synthesis: newest accepted one.
AURORA_POSTGRES_VERSION = rds.AuroraPostgresEngineVersion.VER_18_4
POSTGRES_PORT = 5432
CACHE_ENGINE_VERSION: dict[str, str] = {"valkey": "8.0", "redis": "7.1"}
CACHE_PORT = 6379


def _isolated_or(vpc: ec2.IVpc, subnets: ec2.SubnetSelection | None) -> ec2.SubnetSelection:
    """``subnets`` when given, else the VPC's isolated subnets (private-with-egress if it has none)."""
    if subnets is not None:
        return subnets
    if vpc.isolated_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
    if vpc.private_subnets:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    raise ValueError("vpc has neither isolated nor private subnets: a data store is never placed in public subnets")


def _select(vpc: ec2.IVpc, selection: ec2.SubnetSelection) -> ec2.SelectedSubnets:
    """``vpc.select_subnets`` for a ``SubnetSelection`` value (the Python binding takes keywords)."""
    return vpc.select_subnets(
        availability_zones=selection.availability_zones,
        one_per_az=selection.one_per_az,
        subnet_filters=selection.subnet_filters,
        subnet_group_name=selection.subnet_group_name,
        subnets=selection.subnets,
        subnet_type=selection.subnet_type,
    )


def _physical_id(scope: Construct, prefix: str, max_length: int) -> str:
    """A stable lowercase identifier derived from the construct path (letters, digits, single hyphens)."""
    unique = Names.unique_id(scope).lower()
    return f"{prefix}-{unique[-(max_length - len(prefix) - 1):]}"


class QueueWithDeadLetter(Construct):
    """SQS queue whose failed messages move to a dead-letter queue after ``max_receive_count`` tries.

    Both queues are encrypted (SQS-managed SSE, or ``encryption_key``) and refuse non-TLS
    requests. The dead-letter queue keeps messages 14 days, the SQS maximum, so there is time
    to inspect and redrive them.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        fifo: bool = False,
        max_receive_count: int = 5,
        visibility_timeout: Duration | None = None,
        retention: Duration | None = None,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
    ) -> None:
        """
        :param fifo: FIFO queue (and FIFO dead-letter queue), content-based deduplication; default False.
        :param max_receive_count: deliveries before a message moves to the dead-letter queue (1-1000); default 5.
        :param visibility_timeout: default 30 seconds (set it to at least 6x a consuming Lambda's timeout).
        :param retention: how long the main queue keeps messages; default 4 days.
        :param encryption_key: customer managed KMS key; default none (SQS-managed SSE).
        :param removal_policy: for both queues; default DESTROY (queues hold transient messages).
        """
        super().__init__(scope, id)
        if not 1 <= max_receive_count <= 1000:
            raise ValueError(f"max_receive_count = {max_receive_count}: SQS accepts 1-1000")
        if encryption_key is None:
            encryption: dict[str, object] = {"encryption": sqs.QueueEncryption.SQS_MANAGED}
        else:
            encryption = {"encryption": sqs.QueueEncryption.KMS, "encryption_master_key": encryption_key}
        fifo_props: dict[str, object] = {"fifo": True, "content_based_deduplication": True} if fifo else {}
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            retention_period=Duration.days(14),
            enforce_ssl=True,
            removal_policy=removal_policy,
            **encryption,  # type: ignore[arg-type]
            **fifo_props,  # type: ignore[arg-type]
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=visibility_timeout,
            retention_period=retention,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue, max_receive_count=max_receive_count),
            removal_policy=removal_policy,
            **encryption,  # type: ignore[arg-type]
            **fifo_props,  # type: ignore[arg-type]
        )


class DynamoTable(Construct):
    """On-demand DynamoDB table with point-in-time recovery and encryption at rest.

    Keys are generic (``pk`` and ``sk`` strings) so a single-table design fits without a
    replacement later. Production tables are retained and deletion-protected.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        production: bool,
        sort_key: bool = True,
        encryption_key: kms.IKey | None = None,
        time_to_live_attribute: str | None = None,
    ) -> None:
        """
        :param production: retain the table and turn on deletion protection.
        :param sort_key: add the ``sk`` sort key; default True.
        :param encryption_key: customer managed KMS key; default the AWS managed key.
        :param time_to_live_attribute: attribute holding an expiry epoch; default none.
        """
        super().__init__(scope, id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING) if sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED if encryption_key else dynamodb.TableEncryption.AWS_MANAGED,
            encryption_key=encryption_key,
            deletion_protection=production,
            time_to_live_attribute=time_to_live_attribute,
            removal_policy=RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY,
        )


class PostgresDatabase(Construct):
    """PostgreSQL on RDS (``engine="postgres"``) or Aurora PostgreSQL Serverless v2: the one database block.

    The portal and every tier build their database from this class, so a fix lands once.

    Always: isolated subnets (unless ``subnets``), encrypted storage, TLS required
    (``rds.force_ssl``), master credentials generated into Secrets Manager, IAM database
    authentication, automated backups, the PostgreSQL logs exported to CloudWatch Logs into log
    groups this construct owns (retention set natively, no log-retention Lambda), Database
    Insights (standard mode, Performance Insights on: RDS for PostgreSQL supports it on every
    class, micro and small burstables included), Enhanced Monitoring (RDS), a dedicated security
    group with no outbound rules.

    ``production`` sets the defaults that cost money and protect data: deletion protection,
    RemovalPolicy.SNAPSHOT, Multi-AZ (a standby for RDS, a reader scaling with the writer for
    Aurora), 30-day backups, the master secret and the log groups retained. Each can be set
    on its own (``multi_az``, ``deletion_protection``, ``retain``, ``backup_retention_days``).

    Applications never receive the master secret: ``add_application_user`` gives each its own
    user and secret, created at deploy time by a ``DatabaseUsers`` function (the only reader of
    the master secret), optionally rotated with the alternating-users strategy.

    The instance / cluster identifier is derived from the construct path (``db-...`` or
    ``aurora-...``) unless ``identifier`` is given, so the log groups can exist before the
    database starts writing to them; a change that needs a replacement therefore needs a new
    construct id.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        production: bool,
        engine: DatabaseEngine = "postgres",
        allowed_from: ec2.ISecurityGroup | None = None,
        database_name: str | None = "app",
        subnets: ec2.SubnetSelection | None = None,
        instance_type: ec2.InstanceType | None = None,
        allocated_storage_gib: int = 20,
        max_allocated_storage_gib: int | None = None,
        min_capacity: float = 0.5,
        max_capacity: float = 4,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        rotation_days: int | None = None,
        rotation_subnets: ec2.SubnetSelection | None = None,
        master_username: str = "postgres",
        identifier: str | None = None,
        multi_az: bool | None = None,
        deletion_protection: bool | None = None,
        retain: bool | None = None,
        backup_retention_days: int | None = None,
        performance_insights_retention: rds.PerformanceInsightRetention = rds.PerformanceInsightRetention.DEFAULT,
        encryption_key: kms.IKey | None = None,
        users_subnets: ec2.SubnetSelection | None = None,
    ) -> None:
        """
        :param vpc: VPC the database lives in.
        :param production: default for multi_az, deletion_protection, retain (True) and backups (30 days, else 7).
        :param engine: ``postgres`` (RDS instance) or ``aurora-serverless`` (Aurora Serverless v2); default postgres.
        :param allowed_from: security group allowed to connect on the PostgreSQL port; default none (call ``allow_from`` later).
        :param database_name: database created at launch; default ``app`` (None: only ``postgres``).
        :param subnets: default the VPC's isolated subnets (private ones if it has none; never public).
        :param instance_type: RDS instance class; default t4g.micro (m7g.large in production). Ignored for Aurora.
        :param allocated_storage_gib: RDS storage; default 20. Ignored for Aurora.
        :param max_allocated_storage_gib: RDS storage autoscaling ceiling; default 5x allocated_storage_gib.
        :param min_capacity: Aurora Serverless v2 minimum ACUs; default 0.5.
        :param max_capacity: Aurora Serverless v2 maximum ACUs; default 4.
        :param log_retention: retention of the exported PostgreSQL logs; default one month.
        :param rotation_days: rotate the master password every N days with Secrets Manager's hosted
            single-user rotation (a Lambda in ``rotation_subnets``, which must reach the Secrets
            Manager API through a NAT route or an interface endpoint), and application users'
            passwords with the alternating-users rotation; default none (unrotated secrets are
            acknowledged to cdk-nag with that reason). Costs one rotation function per secret.
        :param rotation_subnets: subnets of the rotation functions; default the private-with-egress subnets.
        :param master_username: the master user's name (create-only: changing it replaces the database); default ``postgres``.
        :param identifier: instance / cluster identifier; default derived from the construct path.
        :param multi_az: standby (RDS) or reader (Aurora) in a second AZ; default ``production``.
        :param deletion_protection: default ``production``.
        :param retain: snapshot on delete and keep the master secret and log groups; default ``production``.
        :param backup_retention_days: automated backups (1-35 days); default 30 in production, else 7.
        :param performance_insights_retention: default 7 days (free).
        :param encryption_key: customer managed key for storage, secrets, log groups and Performance
            Insights; default AWS managed keys. Storage encryption is create-only: giving a key to
            an existing database replaces it (restore from a snapshot instead).
        :param users_subnets: subnets of the function that creates application users (needs a
            route to Secrets Manager); default the private-with-egress subnets.
        """
        super().__init__(scope, id)
        if engine not in ("postgres", "aurora-serverless"):
            raise ValueError(f"engine = {engine!r}: expected 'postgres' or 'aurora-serverless'")
        if engine == "aurora-serverless" and instance_type is not None:
            raise ValueError("instance_type sizes an RDS instance: with engine = 'aurora-serverless' use min_capacity/max_capacity")
        if not 0 <= min_capacity <= max_capacity <= 256:
            raise ValueError(f"min_capacity = {min_capacity} and max_capacity = {max_capacity}: need 0 <= min <= max <= 256 ACUs")
        if rotation_days is None and rotation_subnets is not None:
            raise ValueError("rotation_subnets places the rotation Lambda: it needs rotation_days")
        if backup_retention_days is not None and not 1 <= backup_retention_days <= 35:
            raise ValueError(f"backup_retention_days = {backup_retention_days}: RDS keeps 1-35 days of automated backups")
        self.engine = engine
        self.production = production
        self.vpc = vpc
        self.multi_az = production if multi_az is None else multi_az
        self.deletion_protection = production if deletion_protection is None else deletion_protection
        self.retain = production if retain is None else retain
        self.rotation_days = rotation_days
        self.encryption_key = encryption_key
        self.database_name = database_name
        self._users_subnets = users_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self._rotation_subnets = rotation_subnets or ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self._log_retention = log_retention
        placement = _isolated_or(vpc, subnets)
        removal = RemovalPolicy.SNAPSHOT if self.retain else RemovalPolicy.DESTROY
        kept = RemovalPolicy.RETAIN if self.retain else RemovalPolicy.DESTROY
        backups = Duration.days(backup_retention_days or (30 if production else 7))

        self.security_group = ec2.SecurityGroup(self, "SecurityGroup", vpc=vpc, description=self._security_group_description(), allow_all_outbound=False)
        credentials = rds.Credentials.from_generated_secret(master_username, encryption_key=encryption_key)
        self.instance: rds.DatabaseInstance | None = None
        self.cluster: rds.DatabaseCluster | None = None
        kind = "instance" if engine == "postgres" else "cluster"
        self.identifier = identifier or _physical_id(self, "db" if engine == "postgres" else "aurora", 60)
        exports = LOG_EXPORTS[engine]
        self.log_groups = [
            logs.LogGroup(
                self,
                self._log_group_id(export),
                log_group_name=f"/aws/rds/{kind}/{self.identifier}/{export}",
                retention=log_retention,
                encryption_key=encryption_key,
                removal_policy=kept,
            )
            for export in exports
        ]
        self.log_group = self.log_groups[0]
        self._users_log_prefix = f"/stagelift/{self.identifier}/database-users"
        if encryption_key is not None:
            # CloudWatch Logs encrypts with the key as logs.<region>.amazonaws.com, limited to this
            # database's log groups (names known before they exist: no circular reference).
            stack = Stack.of(self)
            encryption_key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                    actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                    resources=["*"],
                    conditions={
                        "ArnLike": {
                            "kms:EncryptionContext:aws:logs:arn": [
                                stack.format_arn(service="logs", resource="log-group", resource_name=f"{prefix}/*", arn_format=ArnFormat.COLON_RESOURCE_NAME)
                                for prefix in (f"/aws/rds/{kind}/{self.identifier}", self._users_log_prefix)
                            ]
                        }
                    },
                )
            )

        if engine == "postgres":
            parameters = rds.ParameterGroup(
                self,
                "Parameters",
                engine=rds.DatabaseInstanceEngine.postgres(version=POSTGRES_VERSION),
                description=self._parameters_description(),
                parameters={"rds.force_ssl": "1", "log_connections": "1", "log_min_duration_statement": "1000"},
            )
            instance_type = instance_type or (
                ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE)
                if production
                else ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO)
            )
            self.instance = rds.DatabaseInstance(
                self,
                "Instance",
                engine=rds.DatabaseInstanceEngine.postgres(version=POSTGRES_VERSION),
                instance_identifier=self.identifier,
                instance_type=instance_type,
                vpc=vpc,
                vpc_subnets=placement,
                security_groups=[self.security_group],
                port=POSTGRES_PORT,
                credentials=credentials,
                database_name=database_name,
                parameter_group=parameters,
                allocated_storage=allocated_storage_gib,
                max_allocated_storage=max_allocated_storage_gib or allocated_storage_gib * 5,
                storage_type=rds.StorageType.GP3,
                storage_encrypted=True,
                storage_encryption_key=encryption_key,
                iam_authentication=True,
                multi_az=self.multi_az,
                deletion_protection=self.deletion_protection,
                backup_retention=backups,
                preferred_backup_window="03:00-04:00",
                preferred_maintenance_window="sun:04:30-sun:05:30",
                delete_automated_backups=not self.retain,
                copy_tags_to_snapshot=True,
                cloudwatch_logs_exports=list(exports),
                database_insights_mode=rds.DatabaseInsightsMode.STANDARD,
                enable_performance_insights=True,
                performance_insight_retention=performance_insights_retention,
                performance_insight_encryption_key=encryption_key,
                monitoring_interval=Duration.seconds(60),
                auto_minor_version_upgrade=True,
                publicly_accessible=False,
                removal_policy=removal,
            )
            self.endpoint_address: str = self.instance.db_instance_endpoint_address
            self.endpoint_port: str = self.instance.db_instance_endpoint_port
            self._resource: rds.DatabaseInstance | rds.DatabaseCluster = self.instance
            acknowledge(
                self.instance.node.find_child("MonitoringRole"),
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",
                "Enhanced Monitoring requires exactly this AWS managed policy; it only lets RDS write OS metrics to its own log group.",
            )
            if not self.multi_az:
                acknowledge(self.instance, "AwsSolutions-RDS3", f"Single-AZ instance (multi_az off{self._why_off('multi_az')}): half the cost, no standby for an AZ outage.")
        else:
            insights = {
                "enable_performance_insights": True,
                "performance_insight_retention": performance_insights_retention,
                "performance_insight_encryption_key": encryption_key,
            }
            readers = [rds.ClusterInstance.serverless_v2("Reader", scale_with_writer=True, **insights)] if self.multi_az else None  # type: ignore[arg-type]
            self.cluster = rds.DatabaseCluster(
                self,
                "Cluster",
                engine=rds.DatabaseClusterEngine.aurora_postgres(version=AURORA_POSTGRES_VERSION),
                cluster_identifier=self.identifier,
                writer=rds.ClusterInstance.serverless_v2("Writer", **insights),  # type: ignore[arg-type]
                readers=readers,
                serverless_v2_min_capacity=min_capacity,
                serverless_v2_max_capacity=max_capacity,
                vpc=vpc,
                vpc_subnets=placement,
                security_groups=[self.security_group],
                credentials=credentials,
                default_database_name=database_name,
                storage_encrypted=True,
                storage_encryption_key=encryption_key,
                iam_authentication=True,
                deletion_protection=self.deletion_protection,
                backup=rds.BackupProps(retention=backups),
                delete_automated_backups=not self.retain,
                copy_tags_to_snapshot=True,
                cloudwatch_logs_exports=list(exports),
                database_insights_mode=rds.DatabaseInsightsMode.STANDARD,
                removal_policy=removal,
            )
            self.endpoint_address = self.cluster.cluster_endpoint.hostname
            self.endpoint_port = Token.as_string(self.cluster.cluster_endpoint.port)
            self._resource = self.cluster
        for group in self.log_groups:
            self._resource.node.add_dependency(group)
        self.secret: secretsmanager.ISecret = self._resource.secret  # type: ignore[assignment]
        self.master_secret = self.secret
        self.port = POSTGRES_PORT
        # The master secret outlives a retained database: a snapshot restore needs its password.
        master_secret = self._resource.node.find_child("Secret")
        if self.retain:
            master_secret.apply_removal_policy(RemovalPolicy.RETAIN)  # type: ignore[attr-defined]
        self.users: DatabaseUsers | None = None
        self.application_secrets: dict[str, rds.DatabaseSecret] = {}
        self.application_attachments: dict[str, secretsmanager.SecretTargetAttachment] = {}

        acknowledge(
            self._resource,
            "AwsSolutions-RDS11",
            "The standard PostgreSQL port keeps every client and driver default working; only the allowed security groups may connect.",
        )
        if not self.deletion_protection:
            acknowledge(
                self._resource,
                "AwsSolutions-RDS10",
                f"Deletion protection off{self._why_off('deletion_protection')}: the stack can delete this database"
                + (" (a final snapshot is kept)." if self.retain else " and its data."),
            )
        if rotation_days is not None:
            self.rotation_security_group = ec2.SecurityGroup(
                self, "RotationSecurityGroup", vpc=vpc, description=f"Secrets Manager rotation functions of {self.node.path}"
            )
            self.allow_from(self.rotation_security_group, "Credential rotation functions")
            self.master_rotation = self.secret.add_rotation_schedule(
                "MasterRotation",
                automatically_after=Duration.days(rotation_days),
                hosted_rotation=secretsmanager.HostedRotation.postgre_sql_single_user(
                    vpc=vpc, vpc_subnets=self._rotation_subnets, security_groups=[self.rotation_security_group]
                ),
            )
        else:
            acknowledge(
                master_secret,
                "AwsSolutions-SMG4",
                f"Master password not rotated (rotation_days unset{self._why_off('rotation')}): it is for administration and "
                "for creating application users at deploy time; set rotation_days to rotate it (hosted single-user rotation).",
            )
        if allowed_from is not None:
            self.allow_from(allowed_from)

    # Overridable by a database whose log groups were named before this block existed.
    def _log_group_id(self, export: str) -> str:
        return f"{export.capitalize()}Log"

    def _parameters_description(self) -> str:
        return "PostgreSQL: TLS required, slow statements and connections logged"

    def _security_group_description(self) -> str:
        return f"PostgreSQL {self.node.path}"

    def _why_off(self, setting: str) -> str:
        """Appended to a reason: why a protective setting is off (overridden with recorded reasons)."""
        return "" if self.production else ", not production"

    def allow_from(self, peer: ec2.ISecurityGroup, description: str = "PostgreSQL from the service") -> None:
        """Let ``peer`` connect on the PostgreSQL port."""
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(POSTGRES_PORT), description)

    def grant_connect(self, grantee: iam.IGrantable, db_user: str) -> iam.Grant:
        """Allow ``grantee`` to sign IAM authentication tokens for ``db_user``."""
        return self._resource.grant_connect(grantee, db_user)

    def add_application_user(self, id: str, *, username: str, grant_schema: bool = True) -> rds.DatabaseSecret:
        """An application user with its own generated secret, created at deploy time; returns the secret.

        The user may create databases and, with ``grant_schema``, tables in ``database_name``'s
        public schema. With ``rotation_days`` its password rotates with the alternating-users
        strategy (tasks started with the previous credentials keep connecting).

        :param id: construct id of the secret (part of its logical id).
        :param username: the PostgreSQL user name.
        :param grant_schema: USAGE and CREATE on the public schema of ``database_name``; default True.
        """
        if self.users is None:
            self.users = DatabaseUsers(
                self,
                "Users",
                vpc=self.vpc,
                subnets=self._users_subnets,
                database_security_group=self.security_group,
                host=self.endpoint_address,
                port=POSTGRES_PORT,
                database_name=self.database_name or "postgres",
                master_secret=self.secret,
                grant_schema=grant_schema and self.database_name is not None,
                log_retention=self._log_retention,
                encryption_key=self.encryption_key,
                log_group_name_prefix=self._users_log_prefix if self.encryption_key is not None else None,
            )
        secret = rds.DatabaseSecret(
            self,
            id,
            username=username,
            master_secret=self.secret,
            encryption_key=self.encryption_key,
            # Characters a connection URL or a shell would need to escape.
            exclude_characters=" %+~`#$&*()|[]{}:;<>?!'/@\"\\",
        )
        attachment = secret.attach(self._resource)
        self.users.add_user(attachment)
        self.application_secrets[username] = secret
        self.application_attachments[username] = attachment
        if self.rotation_days is not None:
            # A rotation schedule rotates once when created: not before the user exists, and not
            # while the users function reads the master password.
            self.master_rotation.node.add_dependency(self.users.resource)
            rotation = attachment.add_rotation_schedule(
                "Rotation",
                automatically_after=Duration.days(self.rotation_days),
                hosted_rotation=secretsmanager.HostedRotation.postgre_sql_multi_user(
                    master_secret=self.secret, vpc=self.vpc, vpc_subnets=self._rotation_subnets, security_groups=[self.rotation_security_group]
                ),
            )
            rotation.node.add_dependency(self.users.resource)
        else:
            acknowledge(
                secret,
                "AwsSolutions-SMG4",
                f"Application password not rotated (rotation_days unset{self._why_off('rotation')}); "
                "set rotation_days to rotate it with alternating users.",
            )
        return secret


LOG_EXPORTS: dict[str, tuple[str, ...]] = {"postgres": ("postgresql", "upgrade"), "aurora-serverless": ("postgresql",)}


class RedisCache(Construct):
    """ElastiCache Valkey (or Redis OSS) replication group, private and encrypted.

    Always: encryption at rest and in transit (TLS required), AUTH token generated into
    Secrets Manager and resolved by CloudFormation (never in the template), isolated subnets
    (unless ``subnets``), a dedicated security group with no outbound rules, daily snapshots.
    Production adds a replica in another AZ with automatic failover (Multi-AZ).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc: ec2.IVpc,
        production: bool,
        allowed_from: ec2.ISecurityGroup | None = None,
        engine: CacheEngine = "valkey",
        node_type: str | None = None,
        subnets: ec2.SubnetSelection | None = None,
    ) -> None:
        """
        :param vpc: VPC the cache lives in.
        :param production: two nodes in different AZs with automatic failover, 7-day snapshots.
        :param allowed_from: security group allowed to connect; default none (call ``allow_from`` later).
        :param engine: ``valkey`` (same protocol, lower price) or ``redis``; default valkey.
        :param node_type: default cache.t4g.micro (cache.m7g.large in production).
        :param subnets: default the VPC's isolated subnets (private ones if it has none).
        """
        super().__init__(scope, id)
        if engine not in CACHE_ENGINE_VERSION:
            raise ValueError(f"engine = {engine!r}: expected 'valkey' or 'redis'")
        placement = _select(vpc, _isolated_or(vpc, subnets))
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description=f"{engine} {self.node.path}", allow_all_outbound=False
        )
        self.auth_token = secretsmanager.Secret(
            self,
            "AuthToken",
            description=f"AUTH token of {self.node.path}",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.auth_token,
            "AwsSolutions-SMG4",
            "ElastiCache AUTH tokens rotate through modify-replication-group ROTATE/SET, which Secrets Manager has no hosted rotation for; rotate by updating the secret and redeploying.",
        )
        subnet_group = elasticache.CfnSubnetGroup(
            self, "SubnetGroup", description=f"Subnets of {self.node.path}", subnet_ids=placement.subnet_ids
        )
        nodes = 2 if production else 1
        self.replication_group = elasticache.CfnReplicationGroup(
            self,
            "ReplicationGroup",
            replication_group_description=f"{engine} cache {self.node.path}",
            engine=engine,
            engine_version=CACHE_ENGINE_VERSION[engine],
            cache_node_type=node_type or ("cache.m7g.large" if production else "cache.t4g.micro"),
            num_cache_clusters=nodes,
            automatic_failover_enabled=production,
            multi_az_enabled=production,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=self.auth_token.secret_value.unsafe_unwrap(),
            cache_subnet_group_name=subnet_group.ref,
            security_group_ids=[self.security_group.security_group_id],
            port=CACHE_PORT,
            snapshot_retention_limit=7 if production else 1,
            auto_minor_version_upgrade=True,
        )
        self.replication_group.apply_removal_policy(RemovalPolicy.SNAPSHOT if production else RemovalPolicy.DESTROY)
        acknowledge(
            self.replication_group,
            "AwsSolutions-AEC5",
            "The standard port keeps client defaults working; TLS, AUTH and a security group open only to the service protect it.",
        )
        if not production:
            acknowledge(
                self.replication_group,
                "AwsSolutions-AEC4",
                "Non-production cache: one node, no Multi-AZ, to keep a dev/staging stack cheap; production=True adds a replica with failover.",
            )
        self.endpoint_address: str = self.replication_group.attr_primary_end_point_address
        self.endpoint_port: str = self.replication_group.attr_primary_end_point_port
        self.port = CACHE_PORT
        if allowed_from is not None:
            self.allow_from(allowed_from)

    def allow_from(self, peer: ec2.ISecurityGroup) -> None:
        """Let ``peer`` connect on the cache port."""
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(CACHE_PORT), "Cache from the service")
