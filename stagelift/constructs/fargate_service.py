"""Stage 2: a containerized service on ECS Fargate behind an ALB, with its supporting services."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import jsii
from aws_cdk import Duration, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_efs as efs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IValidation

from ..config import FargateServiceConfig
from .alarms import AlarmTopic
from .data_stores import PostgresDatabase, QueueWithDeadLetter, RedisCache
from .https_endpoint import KEEP_PARENT_IDS, EndpointIds, HttpsEndpoint
from .dependencies import drop_implied_dependencies
from .lambda_service import ses_identity_arn
from .nag import acknowledge
from .network import ServiceNetwork
from .retention import log_retention
from .secure_bucket import SecureBucket
from .service_route import container_health_check, ip_target_group
from .tagging import tag_service

EFS_MOUNT_PATH = "/mnt/data"
# The ids these children had before HttpsEndpoint (ALB.add_redirect names its listener so): kept,
# because a replaced listener or record fails on its taken port or name.
FARGATE_ENDPOINT_IDS = EndpointIds(redirect_listener="Redirect80To443", alias_record="Alias")
# The application's own database user (owner of what it creates in the ``app`` database).
DATABASE_USER = "app"


@jsii.implements(IValidation)
class _ForwardedTo:
    """Fails synthesis when no listener rule or listener in the app forwards to ``target_group``.

    ECS refuses to create a service whose target group is on no load balancer, an hour into a
    deployment; a shared service's group is attached by a ``ServiceRoute`` elsewhere in the app.
    """

    def __init__(self, service: FargateService) -> None:
        self._service = service

    def validate(self) -> list[str]:
        service = self._service
        arn = json.dumps(Stack.of(service).resolve(service.target_group.target_group_arn))
        for construct in service.node.root.node.find_all():
            if isinstance(construct, (elbv2.CfnListenerRule, elbv2.CfnListener)):
                actions = construct.actions if isinstance(construct, elbv2.CfnListenerRule) else construct.default_actions
                if arn in json.dumps(Stack.of(construct).resolve(actions)):
                    return []
        return [
            f"{service.node.path}: shared_listener was given, but no listener rule forwards to its target group "
            "(ECS would refuse to create the service): put it behind a ServiceRoute or TieredService"
        ]


class FargateService(Construct):
    """An ECS Fargate service behind an Application Load Balancer, with the options of ``FargateServiceConfig``.

    Always: tasks in private subnets without public IPs, deployment circuit breaker with
    rollback, ALB health check on ``config.health_check_path``, autoscaling on CPU (60 %) and
    memory (70 %) between ``min_capacity`` and ``max_capacity``, container logs in a log group
    with the configured retention, ALB access logs in a SecureBucket, invalid header fields
    dropped, ECS-managed tags propagated from the service (for the Backstage AWS plugins).

    Front door: an ``HttpsEndpoint`` in the public subnets. HTTPS (``config.domain_name``):
    certificate imported from ``certificate_arn`` or issued by ACM with DNS validation in the
    hosted zone ``hosted_zone_id``/``hosted_zone_name`` (no lookup), a TLS 1.3 listener policy,
    HTTP redirected to HTTPS, and an alias record when a hosted zone is given. Without a domain
    (never in production: the configuration refuses it) the ALB listens on HTTP only.

    Shared front door (``shared_listener`` + ``shared_load_balancer_security_group``, with the
    service environment's ``vpc`` and ``cluster``): no load balancer, endpoint, certificate, alias
    record or access-log bucket of its own (``load_balancer``, ``endpoint``, ``listener``,
    ``certificate``, ``alias_record`` and ``access_logs`` are None). ``target_group`` is an IP
    target group (health check on ``config.health_check_path``) that a ``ServiceRoute`` attaches
    to the shared listener with the service's weight; the tasks admit only the shared load
    balancer's security group, on the container port. The domain fields of ``config`` are not
    used: the environment serves ``<service>.<domain>`` with its wildcard certificate. The
    load-balancer-wide 5xx alarm becomes ``TargetConnectionErrorsAlarm`` (the load balancer could
    not reach this service's tasks), because ``HTTPCode_ELB_5XX_Count`` has no target group
    dimension and would count every service's errors.

    Capacity: Fargate Spot when ``config.use_spot`` (default outside production), on-demand otherwise.

    Options: ``database`` (PostgresDatabase), ``enable_redis`` (RedisCache), ``enable_messaging``
    (SNS topic fanning out to an SQS queue with DLQ), ``enable_event_bus`` (EventBridge bus),
    ``enable_efs`` (encrypted EFS through an access point, TLS and IAM authorization),
    ``ses_sender_identity``. Credentials reach the container only as ``ecs.Secret``
    (``DB_USERNAME``/``DB_PASSWORD`` of the service's own database user ``app``, created at
    deploy time and never the master user; ``REDIS_AUTH_TOKEN``); endpoints and names arrive as
    plain environment variables.

    Attributes: ``vpc``, ``network`` (None when a VPC was given), ``cluster``, ``service``,
    ``task_definition``, ``container``, ``endpoint``, ``load_balancer``, ``listener``, ``target_group``, ``certificate``, ``alias_record``, ``access_logs``,
    ``database``, ``cache``, ``topic``, ``queue``, ``dead_letter_queue``, ``event_bus``,
    ``file_system``, ``access_point``, ``alarm_topic``; each None when its option is off.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: FargateServiceConfig,
        image: ecs.ContainerImage,
        vpc: ec2.IVpc | None = None,
        cluster: ecs.ICluster | None = None,
        availability_zones: Sequence[str] | None = None,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        alarms: bool = True,
        shared_listener: elbv2.IApplicationListener | None = None,
        shared_load_balancer_security_group: ec2.ISecurityGroup | None = None,
    ) -> None:
        """
        :param config: validated service options.
        :param image: container image, e.g. ``ecs.ContainerImage.from_ecr_repository(repo, tag)``.
        :param vpc: VPC with public and private subnets; default a new ServiceNetwork (2 AZs, 1 NAT gateway, 2 in production).
        :param cluster: ECS cluster in ``vpc``; default a new cluster with Container Insights and Fargate capacity providers.
            An imported cluster (not ``ecs.Cluster``) cannot be given Spot capacity providers: use it with Spot off,
            unless it is a service environment's (with ``shared_listener``), which has them.
        :param availability_zones: AZ names for the new VPC, for stacks with an explicit environment; default none (ignored with ``vpc``).
        :param environment: extra plain environment variables; default none. Never put secrets here.
        :param secrets: extra container secrets (``ecs.Secret``); default none.
        :param alarms: alarm topic and alarms on ALB 5xx, unhealthy hosts, CPU, memory, dead letters; default True.
        :param shared_listener: a service environment's HTTPS listener: serve behind it instead of an own load balancer
            (requires ``vpc``, ``cluster`` and ``shared_load_balancer_security_group``); default None (own load balancer).
        :param shared_load_balancer_security_group: the shared load balancer's security group, the only source the tasks admit;
            default None (only with ``shared_listener``).
        """
        super().__init__(scope, id)
        if cluster is not None and vpc is None:
            raise ValueError("cluster was given without vpc: pass the cluster's VPC as vpc too (the ALB, database and tasks must share it)")
        if cluster is not None and vpc is not None and cluster.vpc.vpc_id != vpc.vpc_id:
            raise ValueError("cluster and vpc do not match: cluster.vpc is a different VPC from vpc")
        if vpc is not None and availability_zones is not None:
            raise ValueError("availability_zones shapes a new VPC, but vpc was given: drop one of them")
        # A service environment's cluster (shared_listener) has the FARGATE_SPOT provider already.
        if cluster is not None and config.use_spot and not isinstance(cluster, ecs.Cluster) and shared_listener is None:
            raise ValueError(
                "fargateSpot (Spot, the default outside production) needs Fargate capacity providers, which an imported cluster "
                "cannot be given here: pass an ecs.Cluster (or a service environment's with shared_listener), or set fargateSpot = false"
            )
        if config.attached and shared_listener is None:
            raise ValueError(
                f"config.serviceEnvironment = {config.service_environment!r} but no shared_listener: pass the environment's "
                "(ServiceEnvironmentImport: vpc, cluster, listener, load_balancer_security_group), or set serviceEnvironment = 'standalone'"
            )
        if (shared_listener is None) != (shared_load_balancer_security_group is None):
            raise ValueError("shared_listener and shared_load_balancer_security_group go together: pass both (a service environment's) or neither")
        if shared_listener is not None and (vpc is None or cluster is None):
            raise ValueError("shared_listener was given without vpc and cluster: pass the service environment's vpc and cluster too")
        if shared_listener is None and Token.is_unresolved(Stack.of(scope).region):
            raise ValueError(
                "FargateService needs a stack with a concrete region (env=Environment(region=...)): ALB access logging "
                "grants the region's load balancer account; the account may stay unset"
            )
        self.config = config
        production = config.production
        removal = RemovalPolicy.RETAIN if production else RemovalPolicy.DESTROY

        # --- network and cluster -------------------------------------------------------------
        self.network: ServiceNetwork | None = None
        if vpc is None:
            self.network = ServiceNetwork(
                self, "Network", nat_gateways=2 if production else 1, availability_zones=availability_zones, retain=production
            )
            vpc = self.network.vpc
        self.vpc = vpc
        if cluster is None:
            cluster = ecs.Cluster(
                self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED, enable_fargate_capacity_providers=True
            )
        elif config.use_spot and isinstance(cluster, ecs.Cluster):
            cluster.enable_fargate_capacity_providers()
        self.cluster = cluster
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

        self.security_group = ec2.SecurityGroup(
            self, "ServiceSecurityGroup", vpc=vpc, description=f"Tasks of {config.service_name}", allow_all_outbound=True
        )

        # --- task definition -----------------------------------------------------------------
        self.log_group = logs.LogGroup(self, "LogGroup", retention=log_retention(config.log_retention_days), removal_policy=removal)
        self.task_definition = ecs.FargateTaskDefinition(
            self, "TaskDefinition", cpu=config.cpu, memory_limit_mib=config.memory_mib
        )
        task_role = self.task_definition.task_role
        variables: dict[str, str] = {"SERVICE_NAME": config.service_name, "PORT": str(config.container_port)}
        container_secrets: dict[str, ecs.Secret] = {}

        # --- supporting services -------------------------------------------------------------
        self.database: PostgresDatabase | None = None
        if config.database != "none":
            self.database = PostgresDatabase(
                self,
                "Database",
                vpc=vpc,
                engine=config.database,
                production=production,
                allowed_from=self.security_group,
                # Production rotates the master (single user) and the app's password (alternating users).
                rotation_days=30 if production else None,
                rotation_subnets=private if production else None,
                users_subnets=private,
            )
            # The tasks get their own user (created at deploy time), never the master credentials.
            app_secret = self.database.add_application_user("AppSecret", username=DATABASE_USER)
            variables.update(DB_HOST=self.database.endpoint_address, DB_PORT=self.database.endpoint_port, DB_NAME="app")
            container_secrets["DB_USERNAME"] = ecs.Secret.from_secrets_manager(app_secret, "username")
            container_secrets["DB_PASSWORD"] = ecs.Secret.from_secrets_manager(app_secret, "password")

        self.cache: RedisCache | None = None
        if config.enable_redis:
            self.cache = RedisCache(self, "Cache", vpc=vpc, production=production, allowed_from=self.security_group)
            variables.update(REDIS_HOST=self.cache.endpoint_address, REDIS_PORT=self.cache.endpoint_port, REDIS_TLS="true")
            container_secrets["REDIS_AUTH_TOKEN"] = ecs.Secret.from_secrets_manager(self.cache.auth_token)

        self.topic: sns.Topic | None = None
        self.queue: sqs.Queue | None = None
        self.dead_letter_queue: sqs.Queue | None = None
        if config.enable_messaging:
            key = kms.Key(self, "TopicKey", description=f"Encrypts the {config.service_name} topic", enable_key_rotation=True, removal_policy=removal)
            self.topic = sns.Topic(self, "Topic", master_key=key, enforce_ssl=True)
            queues = QueueWithDeadLetter(self, "Queue", visibility_timeout=Duration.minutes(5))
            self.queue, self.dead_letter_queue = queues.queue, queues.dead_letter_queue
            self.topic.add_subscription(subscriptions.SqsSubscription(self.queue, raw_message_delivery=True))
            # Exact actions instead of grant_publish, whose key grant uses the wildcard kms:GenerateDataKey*.
            task_role.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn]))
            key.grant(task_role, "kms:GenerateDataKey", "kms:Decrypt")
            self.queue.grant_consume_messages(task_role)
            variables.update(TOPIC_ARN=self.topic.topic_arn, QUEUE_URL=self.queue.queue_url)

        self.event_bus: events.EventBus | None = None
        if config.enable_event_bus:
            self.event_bus = events.EventBus(self, "EventBus", description=f"Events of {config.service_name}")
            self.event_bus.grant_put_events_to(task_role)
            variables["EVENT_BUS_NAME"] = self.event_bus.event_bus_name

        self.file_system: efs.FileSystem | None = None
        self.access_point: efs.AccessPoint | None = None
        if config.enable_efs:
            self._file_system(vpc, removal)
            variables["DATA_DIR"] = EFS_MOUNT_PATH

        if config.ses_sender_identity is not None:
            task_role.add_to_principal_policy(
                iam.PolicyStatement(actions=["ses:SendEmail", "ses:SendRawEmail"], resources=[ses_identity_arn(self, config.ses_sender_identity)])
            )
            variables["SES_IDENTITY"] = config.ses_sender_identity

        variables.update(environment or {})
        container_secrets.update(secrets or {})
        self.container = self.task_definition.add_container(
            "App",
            image=image,
            port_mappings=[ecs.PortMapping(container_port=config.container_port, name="http")],
            logging=ecs.LogDrivers.aws_logs(stream_prefix=config.service_name, log_group=self.log_group),
            environment=variables,
            secrets=container_secrets or None,
            essential=True,
        )
        acknowledge(
            self.task_definition,
            "AwsSolutions-ECS2",
            "The environment holds only non-secret settings (service name, port, endpoints, resource names); "
            "credentials are injected from Secrets Manager as ecs.Secret.",
        )
        if self.file_system is not None and self.access_point is not None:
            self.task_definition.add_volume(
                name="data",
                efs_volume_configuration=ecs.EfsVolumeConfiguration(
                    file_system_id=self.file_system.file_system_id,
                    transit_encryption="ENABLED",
                    authorization_config=ecs.AuthorizationConfig(access_point_id=self.access_point.access_point_id, iam="ENABLED"),
                ),
            )
            self.container.add_mount_points(ecs.MountPoint(container_path=EFS_MOUNT_PATH, source_volume="data", read_only=False))

        # --- service ---------------------------------------------------------------------------
        strategies = (
            [ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)]
            if config.use_spot
            else [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", weight=1)]
        )
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=config.desired_count,
            vpc_subnets=private,
            security_groups=[self.security_group],
            assign_public_ip=False,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            capacity_provider_strategies=strategies,
            min_healthy_percent=100,
            max_healthy_percent=200,
            health_check_grace_period=Duration.seconds(60),
            enable_ecs_managed_tags=True,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        if self.database is not None and self.database.users is not None:
            # Tasks start once their database user exists.
            self.service.node.add_dependency(self.database.users)
        if self.file_system is not None:
            self.file_system.connections.allow_default_port_from(self.security_group, "NFS from the service's tasks")
            self.file_system.grant_read_write(task_role)

        scaling = self.service.auto_scale_task_count(min_capacity=config.min_capacity, max_capacity=config.max_capacity)
        scaling.scale_on_cpu_utilization("CpuScaling", target_utilization_percent=60)
        scaling.scale_on_memory_utilization("MemoryScaling", target_utilization_percent=70)

        # --- load balancer -----------------------------------------------------------------------
        self.shared_listener = shared_listener
        if shared_listener is not None and shared_load_balancer_security_group is not None:
            self._shared_target_group(vpc, shared_load_balancer_security_group)
        else:
            self._load_balancer(vpc, production)

        self.alarm_topic: AlarmTopic | None = None
        if alarms:
            self.alarm_topic = self._alarms()

        tag_service(self, service=config.service_name, tier="fargate", owner=config.owner, environment=config.environment)

    def _file_system(self, vpc: ec2.IVpc, removal: RemovalPolicy) -> None:
        config = self.config
        self.file_system = efs.FileSystem(
            self,
            "FileSystem",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            encrypted=True,
            enable_automatic_backups=True,
            performance_mode=efs.PerformanceMode.GENERAL_PURPOSE,
            throughput_mode=efs.ThroughputMode.ELASTIC,
            lifecycle_policy=efs.LifecyclePolicy.AFTER_30_DAYS,
            removal_policy=removal,
        )
        self.access_point = self.file_system.add_access_point(
            "AccessPoint",
            path=f"/{config.service_name}",
            posix_user=efs.PosixUser(uid="1000", gid="1000"),
            create_acl=efs.Acl(owner_uid="1000", owner_gid="1000", permissions="750"),
        )

    def _shared_target_group(self, vpc: ec2.IVpc, load_balancer_security_group: ec2.ISecurityGroup) -> None:
        config = self.config
        self.access_logs = None
        self.endpoint = None
        self.load_balancer = None
        self.certificate = None
        self.alias_record = None
        self.listener = None
        self.target_group = ip_target_group(
            self, "TargetGroup", vpc=vpc, port=config.container_port, health_check_path=config.health_check_path, targets=[self.service]
        )
        self.node.add_validation(_ForwardedTo(self))
        # Only the shared load balancer reaches the tasks, on the container port (ServiceRoute's
        # attachment would add the same rule; CDK keeps one).
        self.security_group.add_ingress_rule(
            load_balancer_security_group, ec2.Port.tcp(config.container_port), "Load balancer to target"
        )

    def _target_group_metric(self, name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
        """A metric of ``target_group`` on the shared load balancer (named from the listener ARN, as aws-cdk-lib does)."""
        parts = Fn.split("/", self.shared_listener.listener_arn)  # type: ignore[union-attr]
        load_balancer = f"{Fn.select(1, parts)}/{Fn.select(2, parts)}/{Fn.select(3, parts)}"
        return cloudwatch.Metric(
            namespace="AWS/ApplicationELB",
            metric_name=name,
            dimensions_map={"LoadBalancer": load_balancer, "TargetGroup": self.target_group.target_group_full_name},
            statistic=statistic,
            period=period,
        )

    def _load_balancer(self, vpc: ec2.IVpc, production: bool) -> None:
        config = self.config
        self.access_logs = SecureBucket(self, "AlbAccessLogs", retain=production, versioned=False, expire_after_days=365 if production else 90)
        self.endpoint = HttpsEndpoint(
            self,
            KEEP_PARENT_IDS,  # the resources keep the logical ids FargateService gave them before HttpsEndpoint existed
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            access_logs=self.access_logs.bucket,
            access_log_prefix=config.service_name,
            domain_name=config.domain_name,
            hosted_zone_id=config.hosted_zone_id,
            hosted_zone_name=config.hosted_zone_name,
            certificate_arn=config.certificate_arn,
            deletion_protection=production,
            ids=FARGATE_ENDPOINT_IDS,
        )
        self.load_balancer = self.endpoint.load_balancer
        self.certificate = self.endpoint.certificate
        self.alias_record = self.endpoint.alias_record
        self.listener = self.endpoint.listener
        self.target_group = self.listener.add_targets(
            "Tasks",
            port=config.container_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service],
            deregistration_delay=Duration.seconds(30),
            health_check=container_health_check(config.health_check_path),
        )
        # ecs.BaseService makes the service depend on the listener (the target group must be
        # attached to the load balancer first); the target group, a child of the listener, is
        # already implied by the service's Ref to it (cfn-lint W3005).
        drop_implied_dependencies(self.service.node.default_child, self.target_group.node.default_child)

    def _alarms(self) -> AlarmTopic:
        config = self.config
        topic = AlarmTopic(self, "Alarms", email=config.alarm_email, retain=config.production)
        period = Duration.minutes(5)
        if self.load_balancer is not None:
            topic.alarm(
                self,
                "LoadBalancer5xxAlarm",
                metric=self.load_balancer.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=period, statistic=cloudwatch.Stats.SUM),
                threshold=5,
                description=f"{config.service_name}: the load balancer answered 5xx",
            )
            target_5xx = self.target_group.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=period, statistic=cloudwatch.Stats.SUM)
            unhealthy = self.target_group.metrics.unhealthy_host_count(period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM)
        else:
            # The shared load balancer's own 5xx count covers every service; this service's share
            # of it is the connections it could not make to these tasks (answered 502/503/504).
            topic.alarm(
                self,
                "TargetConnectionErrorsAlarm",
                metric=self._target_group_metric("TargetConnectionErrorCount", cloudwatch.Stats.SUM, period),
                threshold=5,
                description=f"{config.service_name}: the shared load balancer could not connect to the tasks",
            )
            target_5xx = self._target_group_metric("HTTPCode_Target_5XX_Count", cloudwatch.Stats.SUM, period)
            unhealthy = self._target_group_metric("UnHealthyHostCount", cloudwatch.Stats.MAXIMUM, Duration.minutes(1))
        topic.alarm(
            self,
            "Target5xxAlarm",
            metric=target_5xx,
            threshold=5,
            description=f"{config.service_name}: the tasks answered 5xx",
        )
        topic.alarm(
            self,
            "UnhealthyHostsAlarm",
            metric=unhealthy,
            threshold=0,
            evaluation_periods=3,
            description=f"{config.service_name}: tasks fail the load balancer health check",
        )
        topic.alarm(
            self,
            "CpuAlarm",
            metric=self.service.metric_cpu_utilization(period=period),
            threshold=85,
            evaluation_periods=3,
            description=f"{config.service_name}: CPU above 85 % although autoscaling is on (check maxCapacity)",
        )
        topic.alarm(
            self,
            "MemoryAlarm",
            metric=self.service.metric_memory_utilization(period=period),
            threshold=85,
            evaluation_periods=3,
            description=f"{config.service_name}: memory above 85 % although autoscaling is on (check maxCapacity)",
        )
        if self.dead_letter_queue is not None:
            topic.dead_letter_alarm(self, queue=self.dead_letter_queue, service_name=config.service_name)
        return topic
