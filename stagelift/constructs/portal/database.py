"""The portal's PostgreSQL database: the shared ``PostgresDatabase`` block, sized by ``PortalConfig``."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ...config.portal import PortalConfig
from ..data_stores import POSTGRES_PORT, PostgresDatabase
from ..retention import log_retention

ENGINE_VERSION = rds.PostgresEngineVersion.VER_18_3
PORT = POSTGRES_PORT
MASTER_USERNAME = "postgres_admin"
# The portal connects as this user, never as the master user. With rotation on, Secrets Manager
# alternates between it and "<name>_clone", which acts as it (see stagelift/functions/database_users).
APP_USERNAME = "backstage"
# Which protective setting of PostgresDatabase each portal context key controls.
_SAFEGUARD_KEYS = {"multi_az": "databaseMultiAz", "deletion_protection": "databaseDeletionProtection", "rotation": "rotateDatabaseCredentials"}


class PortalDatabase(PostgresDatabase):
    """RDS PostgreSQL in isolated subnets: encrypted, TLS-only, backed up, observable.

    Two secrets: the master credentials (read only by the database-users function that creates
    the application user at deploy time, and rotated single-user with
    ``rotateDatabaseCredentials``) and the application user's credentials (all the portal's
    tasks receive; with ``rotateDatabaseCredentials`` rotated with alternating users, so tasks
    started with the previous credentials keep connecting).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PortalConfig,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        rotation_subnets: ec2.SubnetSelection,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param config: the portal's configuration.
        :param vpc: the portal's VPC.
        :param subnets: isolated subnets of the instance.
        :param rotation_subnets: subnets with a route to Secrets Manager, for the rotation and database-users functions.
        :param encryption_key: customer managed key for storage, secrets and log groups; default AWS managed keys
            (storage encryption is create-only: a key given to an existing instance replaces it).
        """
        self._config = config
        super().__init__(
            scope,
            id,
            vpc=vpc,
            production=config.production,
            database_name=None,
            subnets=subnets,
            instance_type=ec2.InstanceType(config.database_instance_class.removeprefix("db.")),
            allocated_storage_gib=config.database_allocated_storage_gib,
            max_allocated_storage_gib=config.database_max_allocated_storage_gib,
            log_retention=log_retention(config.log_retention_days),
            rotation_days=config.rotation_days if config.rotate_database_credentials else None,
            rotation_subnets=rotation_subnets if config.rotate_database_credentials else None,
            master_username=MASTER_USERNAME,
            identifier=f"{config.portal_name}-{config.environment}",
            multi_az=config.database_multi_az,
            deletion_protection=config.database_deletion_protection,
            retain=config.retain_data,
            backup_retention_days=config.database_backup_retention_days,
            performance_insights_retention=_insights_retention(config.performance_insights_retention_days),
            encryption_key=encryption_key,
            users_subnets=rotation_subnets,
        )
        assert self.instance is not None
        self.app_secret: secretsmanager.ISecret = self.add_application_user("AppSecret", username=APP_USERNAME, grant_schema=False)
        self.app_secret_attachment = self.application_attachments[APP_USERNAME]

    # Ids and descriptions of the first release: renaming them would replace the resources.
    def _log_group_id(self, export: str) -> str:
        return f"{export.capitalize()}Logs"

    def _security_group_description(self) -> str:
        return "PostgreSQL: reachable from the portal tasks only"

    def _parameters_description(self) -> str:
        return "Portal PostgreSQL: TLS required, slow statements and connections logged"

    def _why_off(self, setting: str) -> str:
        return f": {self._config.why_weakened(_SAFEGUARD_KEYS[setting])}"


def _insights_retention(days: int) -> rds.PerformanceInsightRetention:
    """7 days (free), 731 days, or a whole number of 31-day months."""
    if days == 7:
        return rds.PerformanceInsightRetention.DEFAULT
    if days == 731:
        return rds.PerformanceInsightRetention.LONG_TERM
    return getattr(rds.PerformanceInsightRetention, f"MONTHS_{days // 31}")
