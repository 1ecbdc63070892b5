"""The portal's compute: ECR repository, ECS cluster, Fargate service and its scaling."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from ...config.portal import PortalConfig
from ..nag import acknowledge
from ..retention import log_retention

BACKEND_PORT = 7007
# Backstage's readiness endpoint: 503 until every plugin has started. The older `/healthcheck`
# route no longer exists in the new backend system, and the app's catch-all would answer it
# with index.html and a 200, so a check there would pass on a broken backend.
HEALTH_CHECK_PATH = "/.backstage/health/v1/readiness"
# Tag the task definition names until an image is pushed; no task runs with it (desired count 0).
PLACEHOLDER_TAG = "not-yet-pushed"
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
        image: ecs.ContainerImage | None = None,
    ) -> None:
        """
        :param environment: plain environment variables of the Backstage container.
        :param secrets: Secrets Manager values of the Backstage container.
        :param image: image built by the caller (e.g. an asset); default per config (ECR tag, URI or placeholder).
        """
        super().__init__(scope, id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        self.repository = ecr.Repository(
            self,
            "Repository",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.AES_256,
            lifecycle_rules=[
                ecr.LifecycleRule(description="Drop untagged layers after a week", tag_status=ecr.TagStatus.UNTAGGED, max_image_age=Duration.days(7), rule_priority=1),
                ecr.LifecycleRule(description="Keep the 30 newest images", tag_status=ecr.TagStatus.ANY, max_image_count=30, rule_priority=2),
            ],
            empty_on_delete=not config.retain_data,
            removal_policy=removal,
        )
        self.cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENHANCED, enable_fargate_capacity_providers=True)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention(config.log_retention_days), removal_policy=removal)
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=config.task_cpu,
            memory_limit_mib=config.task_memory_mib,
            runtime_platform=ecs.RuntimePlatform(operating_system_family=ecs.OperatingSystemFamily.LINUX, cpu_architecture=ecs.CpuArchitecture.X86_64),
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
            self.task_definition.obtain_execution_role(),
            "AwsSolutions-IAM5[Resource::*]",
            "ECS grants the execution role ecr:GetAuthorizationToken on * (the API has no resource scope) and log stream actions under the portal's own log group.",
        )
        acknowledge(self.task_definition, "AwsSolutions-ECS2", "Only non-secret settings (URLs, host names, bucket name) are plain environment variables; every credential is injected from Secrets Manager.")

    def _image(self, config: PortalConfig) -> ecs.ContainerImage:
        if config.image_uri is not None:
            return ecs.ContainerImage.from_registry(config.image_uri)
        return ecs.ContainerImage.from_ecr_repository(self.repository, config.image_tag or PLACEHOLDER_TAG)
