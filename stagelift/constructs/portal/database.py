"""The portal's PostgreSQL database, its credentials and (optionally) their rotation."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from ...config.portal import PortalConfig
from ..nag import acknowledge
from ..retention import log_retention

ENGINE_VERSION = rds.PostgresEngineVersion.VER_18_3
PORT = 5432
MASTER_USERNAME = "postgres_admin"
# The portal connects as this user, never as the master user. With rotation on, Secrets Manager
# alternates between it and "<name>_clone" (see PortalService's database bootstrap).
APP_USERNAME = "backstage"
LOG_EXPORTS: tuple[str, ...] = ("postgresql", "upgrade")


class PortalDatabase(Construct):
    """RDS PostgreSQL in isolated subnets: encrypted, TLS-only, backed up, observable.

    Two secrets: the master credentials (administration and the user bootstrap only) and the
    application user's credentials (what the portal's tasks receive). With
    ``config.rotate_database_credentials`` the application secret is rotated with the
    alternating-users strategy: each rotation changes the password of the user *not* in use,
    so tasks started with the previous credentials keep connecting.
    """

    def __init__(self, scope: Construct, id: str, *, config: PortalConfig, vpc: ec2.IVpc, subnets: ec2.SubnetSelection, rotation_subnets: ec2.SubnetSelection) -> None:
        super().__init__(scope, id)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="PostgreSQL: reachable from the portal tasks only", allow_all_outbound=False
        )
        parameters = rds.ParameterGroup(
            self,
            "Parameters",
            engine=rds.DatabaseInstanceEngine.postgres(version=ENGINE_VERSION),
            description="Portal PostgreSQL: TLS required, slow statements and connections logged",
            parameters={"rds.force_ssl": "1", "log_connections": "1", "log_min_duration_statement": "1000"},
        )
        # Log groups created here (with retention) before RDS creates them itself without one:
        # cheaper and clearer than the LogRetention custom resource CDK would otherwise add.
        identifier = f"{config.portal_name}-{config.environment}"
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.log_groups = [
            logs.LogGroup(self, f"{name.capitalize()}Logs", log_group_name=f"/aws/rds/instance/{identifier}/{name}", retention=log_retention(config.log_retention_days), removal_policy=removal)
            for name in LOG_EXPORTS
        ]
        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            engine=rds.DatabaseInstanceEngine.postgres(version=ENGINE_VERSION),
            instance_type=ec2.InstanceType(config.database_instance_class.removeprefix("db.")),
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            port=PORT,
            credentials=rds.Credentials.from_generated_secret(MASTER_USERNAME),
            parameter_group=parameters,
            allocated_storage=config.database_allocated_storage_gib,
            max_allocated_storage=config.database_max_allocated_storage_gib,
            storage_type=rds.StorageType.GP3,
            storage_encrypted=True,
            multi_az=config.database_multi_az,
            publicly_accessible=False,
            iam_authentication=True,
            backup_retention=Duration.days(config.database_backup_retention_days),
            preferred_backup_window="03:00-04:00",
            preferred_maintenance_window="sun:04:30-sun:05:30",
            copy_tags_to_snapshot=True,
            deletion_protection=config.database_deletion_protection,
            removal_policy=RemovalPolicy.SNAPSHOT if config.retain_data else RemovalPolicy.DESTROY,
            delete_automated_backups=not config.retain_data,
            instance_identifier=identifier,
            cloudwatch_logs_exports=list(LOG_EXPORTS),
            enable_performance_insights=True,
            performance_insight_retention=_insights_retention(config.performance_insights_retention_days),
            auto_minor_version_upgrade=True,
            monitoring_interval=Duration.seconds(60),
        )
        for group in self.log_groups:
            self.instance.node.add_dependency(group)
        self.master_secret: secretsmanager.ISecret = self.instance.secret  # type: ignore[assignment]
        self.app_secret = rds.DatabaseSecret(
            self,
            "AppSecret",
            username=APP_USERNAME,
            master_secret=self.master_secret,
            exclude_characters=" %+~`#$&*()|[]{}:;<>?!'/@\"\\",
        )
        self.app_secret_attachment = self.app_secret.attach(self.instance)
        self.rotation: secretsmanager.RotationSchedule | None = None
        if config.rotate_database_credentials:
            self.rotation_security_group = ec2.SecurityGroup(
                self, "RotationSecurityGroup", vpc=vpc, description="Secrets Manager rotation function of the portal database"
            )
            self.security_group.add_ingress_rule(self.rotation_security_group, ec2.Port.tcp(PORT), "Credential rotation function")
            self.rotation = self.app_secret_attachment.add_rotation_schedule(
                "Rotation",
                automatically_after=Duration.days(config.rotation_days),
                hosted_rotation=secretsmanager.HostedRotation.postgre_sql_multi_user(
                    master_secret=self.master_secret,
                    vpc=vpc,
                    vpc_subnets=rotation_subnets,
                    security_groups=[self.rotation_security_group],
                ),
            )
        else:
            acknowledge(
                self.app_secret,
                "AwsSolutions-SMG4",
                f"{config.environment} profile: rotateDatabaseCredentials is off to save the rotation function; production rotates this secret with alternating users.",
            )
        acknowledge(
            self.instance.node.find_child("Secret"),
            "AwsSolutions-SMG4",
            "Master credentials are used only by the one-shot user bootstrap at task start; the application user's secret is the one that rotates (alternating users), so tasks never hold the master password.",
        )
        if not config.database_multi_az:
            acknowledge(self.instance, "AwsSolutions-RDS3", f"{config.environment} profile: single-AZ to halve database cost; production runs Multi-AZ.")
        if not config.database_deletion_protection:
            acknowledge(self.instance, "AwsSolutions-RDS10", f"{config.environment} profile: disposable environment; production enables deletion protection and keeps a final snapshot.")
        acknowledge(
            self.instance.node.find_child("MonitoringRole"),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]",
            "Enhanced Monitoring requires exactly this AWS managed policy; it only lets RDS write OS metrics to its own log group.",
        )
        acknowledge(self.instance, "AwsSolutions-RDS11", "The default PostgreSQL port is kept: the instance is in isolated subnets and only the portal tasks' security group may reach it.")

    def allow_from(self, peer: ec2.ISecurityGroup, description: str) -> None:
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(PORT), description)


def _insights_retention(days: int) -> rds.PerformanceInsightRetention:
    """7 days (free), 731 days, or a whole number of 31-day months."""
    if days == 7:
        return rds.PerformanceInsightRetention.DEFAULT
    if days == 731:
        return rds.PerformanceInsightRetention.LONG_TERM
    return getattr(rds.PerformanceInsightRetention, f"MONTHS_{days // 31}")
