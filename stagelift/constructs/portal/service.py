"""The portal's compute: ECR repository, ECS cluster, Fargate service and its scaling."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ...config.portal import PortalConfig
from ..nag import acknowledge, default_policy
from ..retention import log_retention
from .database import APP_USERNAME

BACKEND_PORT = 7007
# Backstage's readiness endpoint: 503 until every plugin has started. The older `/healthcheck`
# route no longer exists in the new backend system, and the app's catch-all would answer it
# with index.html and a 200, so a check there would pass on a broken backend.
HEALTH_CHECK_PATH = "/.backstage/health/v1/readiness"
# Tag the task definition names until an image is pushed; no task runs with it (desired count 0).
PLACEHOLDER_TAG = "not-yet-pushed"
# Creates the application user (and the alternate user rotation switches to) if missing, with the
# master credentials, then exits. Idempotent and never changes a password that already exists,
# so it cannot undo a rotation. The alternate user acts as the application user (SET ROLE), so
# both own the same objects and may create the plugin databases.
BOOTSTRAP_IMAGE = "public.ecr.aws/docker/library/postgres:18-alpine"
BOOTSTRAP_SQL = r"""
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'app', :'pw')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app' || '_clone')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app' || '_clone') \gexec
SELECT format('GRANT %I TO %I', :'app', :'app' || '_clone') \gexec
SELECT format('ALTER ROLE %I SET role = %I', :'app' || '_clone', :'app') \gexec
""".strip()
BOOTSTRAP_COMMAND = (
    'printf "%s\\n" "$BOOTSTRAP_SQL" | psql -v ON_ERROR_STOP=1 -v app="$APP_USERNAME" -v pw="$APP_INITIAL_PASSWORD" '
    '"host=$PGHOST port=$PGPORT dbname=postgres user=$PGUSER sslmode=require"'
)


class PortalService(Construct):
    """Fargate service running the Backstage backend behind the load balancer.

    Tasks run in private subnets without public IPs; a circuit breaker rolls back a deployment
    that cannot become healthy; CPU and memory target tracking scale between the profile's
    bounds. Without an image (no imageTag/imageUri/portalAppPath) the service is created with
    zero tasks and no scaling, so the first deploy does not wait for an image nobody pushed.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: PortalConfig,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        listener: elbv2.ApplicationListener,
        environment: Mapping[str, str],
        secrets: Mapping[str, ecs.Secret],
        bootstrap_secrets: Mapping[str, ecs.Secret],
        app_initial_password: ecs.Secret,
        image: ecs.ContainerImage | None = None,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param environment: plain environment variables of the Backstage container.
        :param secrets: Secrets Manager values of the Backstage container.
        :param bootstrap_secrets: master database credentials for the user bootstrap container (PGHOST, PGPORT, PGUSER, PGPASSWORD).
        :param app_initial_password: the application user's password, used only when the user does not exist yet.
        :param image: image built by the caller (e.g. an asset); default per config (ECR tag, URI or placeholder).
        :param encryption_key: key for the log group (its policy must admit CloudWatch Logs) and, with
            ``config.repository_encryption == "KMS"``, the ECR repository; default none (AWS managed encryption).
        """
        super().__init__(scope, id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.repository = ecr.Repository(
            self,
            "Repository",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            # Create-only: a deployed repository keeps the encryption it was created with (see repositoryEncryption).
            encryption=ecr.RepositoryEncryption.KMS if config.repository_encryption == "KMS" else ecr.RepositoryEncryption.AES_256,
            encryption_key=encryption_key if config.repository_encryption == "KMS" else None,
            lifecycle_rules=[
                ecr.LifecycleRule(description="Drop untagged layers after a week", tag_status=ecr.TagStatus.UNTAGGED, max_image_age=Duration.days(7), rule_priority=1),
                ecr.LifecycleRule(description="Keep the 30 newest images", tag_status=ecr.TagStatus.ANY, max_image_count=30, rule_priority=2),
            ],
            empty_on_delete=not config.retain_data,
            removal_policy=removal,
        )
        self.cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENHANCED, enable_fargate_capacity_providers=True)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention(config.log_retention_days), encryption_key=encryption_key, removal_policy=removal)
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=config.task_cpu,
            memory_limit_mib=config.task_memory_mib,
            runtime_platform=ecs.RuntimePlatform(operating_system_family=ecs.OperatingSystemFamily.LINUX, cpu_architecture=ecs.CpuArchitecture.X86_64),
        )
        bootstrap = self.task_definition.add_container(
            "DatabaseBootstrap",
            image=ecs.ContainerImage.from_registry(BOOTSTRAP_IMAGE),
            essential=False,
            entry_point=["sh", "-c"],
            command=[BOOTSTRAP_COMMAND],
            environment={"APP_USERNAME": APP_USERNAME, "BOOTSTRAP_SQL": BOOTSTRAP_SQL},
            secrets={**bootstrap_secrets, "APP_INITIAL_PASSWORD": app_initial_password},
            logging=ecs.LogDriver.aws_logs(stream_prefix="bootstrap", log_group=self.log_group),
            readonly_root_filesystem=True,
            user="70",  # the postgres user of the alpine image
        )
        self.container = self.task_definition.add_container(
            "Backstage",
            image=image or self._image(config),
            essential=True,
            port_mappings=[ecs.PortMapping(container_port=BACKEND_PORT)],
            environment=dict(environment),
            secrets=dict(secrets),
            logging=ecs.LogDriver.aws_logs(stream_prefix="backstage", log_group=self.log_group),
            health_check=ecs.HealthCheck(
                command=["CMD-SHELL", f"node -e \"fetch('http://localhost:{BACKEND_PORT}{HEALTH_CHECK_PATH}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))\""],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(120),
            ),
        )
        self.container.add_container_dependencies(ecs.ContainerDependency(container=bootstrap, condition=ecs.ContainerDependencyCondition.SUCCESS))
        self.security_group = ec2.SecurityGroup(self, "SecurityGroup", vpc=vpc, description="Portal tasks: reachable from the load balancer only")
        capacity = "FARGATE_SPOT" if config.fargate_spot else "FARGATE"
        runs_tasks = image is not None or config.has_image
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            desired_count=config.desired_count if runs_tasks else 0,
            vpc_subnets=subnets,
            security_groups=[self.security_group],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            health_check_grace_period=Duration.seconds(180),
            capacity_provider_strategies=[ecs.CapacityProviderStrategy(capacity_provider=capacity, weight=1, base=0)],
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            enable_ecs_managed_tags=True,
        )
        self.target_group = listener.add_targets(
            "Backstage",
            port=BACKEND_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service],
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(path=HEALTH_CHECK_PATH, healthy_http_codes="200", interval=Duration.seconds(15), healthy_threshold_count=2, unhealthy_threshold_count=3),
        )
        self.scaling: ecs.ScalableTaskCount | None = None
        if runs_tasks:
            self.scaling = self.service.auto_scale_task_count(min_capacity=config.min_capacity, max_capacity=config.max_capacity)
            self.scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=config.cpu_target_percent)
            self.scaling.scale_on_memory_utilization("Memory", target_utilization_percent=config.memory_target_percent)
        acknowledge(
            default_policy(self.task_definition.obtain_execution_role()),
            "AwsSolutions-IAM5[Resource::*]",
            "ECS grants the execution role ecr:GetAuthorizationToken on * (the API has no resource scope) and log stream actions under the portal's own log group.",
        )
        acknowledge(self.task_definition, "AwsSolutions-ECS2", "Only non-secret settings (URLs, host names, bucket name) are plain environment variables; every credential is injected from Secrets Manager.")

    def _image(self, config: PortalConfig) -> ecs.ContainerImage:
        if config.image_uri is not None:
            return ecs.ContainerImage.from_registry(config.image_uri)
        return ecs.ContainerImage.from_ecr_repository(self.repository, config.image_tag or PLACEHOLDER_TAG)
