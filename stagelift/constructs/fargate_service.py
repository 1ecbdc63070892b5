"""Stage 2: a containerized service on ECS Fargate behind an ALB, with its supporting services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_efs as efs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ..config import FargateServiceConfig
from .alarms import AlarmTopic
from .data_stores import PostgresDatabase, QueueWithDeadLetter, RedisCache
from .lambda_service import ses_identity_arn
from .nag import acknowledge
from .network import ServiceNetwork
from .retention import log_retention
from .secure_bucket import SecureBucket
from .tagging import tag_service

EFS_MOUNT_PATH = "/mnt/data"
# The application's own database user (owner of what it creates in the ``app`` database).
DATABASE_USER = "app"


class FargateService(Construct):
    """An ECS Fargate service behind an Application Load Balancer, with the options of ``FargateServiceConfig``.

    Always: tasks in private subnets without public IPs, deployment circuit breaker with
    rollback, ALB health check on ``config.health_check_path``, autoscaling on CPU (60 %) and
    memory (70 %) between ``min_capacity`` and ``max_capacity``, container logs in a log group
    with the configured retention, ALB access logs in a SecureBucket, invalid header fields
    dropped, ECS-managed tags propagated from the service (for the Backstage AWS plugins).

    HTTPS (``config.domain_name``): certificate imported from ``certificate_arn`` or issued by
    ACM with DNS validation in the hosted zone ``hosted_zone_id``/``hosted_zone_name`` (no
    lookup), a TLS 1.3 listener policy, HTTP redirected to HTTPS, and an alias record when a
    hosted zone is given. Without a domain the ALB listens on HTTP only.

    Capacity: Fargate Spot when ``config.use_spot`` (default outside production), on-demand otherwise.

    Options: ``database`` (PostgresDatabase), ``enable_redis`` (RedisCache), ``enable_messaging``
    (SNS topic fanning out to an SQS queue with DLQ), ``enable_event_bus`` (EventBridge bus),
    ``enable_efs`` (encrypted EFS through an access point, TLS and IAM authorization),
    ``ses_sender_identity``. Credentials reach the container only as ``ecs.Secret``
    (``DB_USERNAME``/``DB_PASSWORD`` of the service's own database user ``app``, created at
    deploy time and never the master user; ``REDIS_AUTH_TOKEN``); endpoints and names arrive as
    plain environment variables.

    Attributes: ``vpc``, ``network`` (None when a VPC was given), ``cluster``, ``service``,
    ``task_definition``, ``container``, ``load_balancer``, ``target_group``, ``certificate``,
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
    ) -> None:
        """
        :param config: validated service options.
        :param image: container image, e.g. ``ecs.ContainerImage.from_ecr_repository(repo, tag)``.
        :param vpc: VPC with public and private subnets; default a new ServiceNetwork (2 AZs, 1 NAT gateway, 2 in production).
        :param cluster: ECS cluster in ``vpc``; default a new cluster with Container Insights and Fargate capacity providers.
            An imported cluster (not ``ecs.Cluster``) cannot be given Spot capacity providers: use it with Spot off.
        :param availability_zones: AZ names for the new VPC, for stacks with an explicit environment; default none (ignored with ``vpc``).
        :param environment: extra plain environment variables; default none. Never put secrets here.
        :param secrets: extra container secrets (``ecs.Secret``); default none.
        :param alarms: alarm topic and alarms on ALB 5xx, unhealthy hosts, CPU, memory, dead letters; default True.
        """
        super().__init__(scope, id)
        if cluster is not None and vpc is None:
            raise ValueError("cluster was given without vpc: pass the cluster's VPC as vpc too (the ALB, database and tasks must share it)")
        if cluster is not None and vpc is not None and cluster.vpc.vpc_id != vpc.vpc_id:
            raise ValueError("cluster and vpc do not match: cluster.vpc is a different VPC from vpc")
        if vpc is not None and availability_zones is not None:
            raise ValueError("availability_zones shapes a new VPC, but vpc was given: drop one of them")
        if cluster is not None and config.use_spot and not isinstance(cluster, ecs.Cluster):
            raise ValueError(
                "fargateSpot (Spot, the default outside production) needs Fargate capacity providers, which an imported cluster "
                "cannot be given here: pass an ecs.Cluster, or set fargateSpot = false"
            )
        if Token.is_unresolved(Stack.of(scope).region):
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

    def _load_balancer(self, vpc: ec2.IVpc, production: bool) -> None:
        config = self.config
        self.access_logs = SecureBucket(self, "AlbAccessLogs", retain=production, versioned=False, expire_after_days=365 if production else 90)
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=True,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            drop_invalid_header_fields=True,
            deletion_protection=production,
        )
        self.load_balancer.log_access_logs(self.access_logs.bucket, prefix=config.service_name)
        acknowledge(
            self.load_balancer,
            "AwsSolutions-EC23",
            "Internet-facing load balancer: its security group must accept 0.0.0.0/0 (and ::/0) on the listener ports; the tasks behind it accept only the ALB.",
        )

        self.certificate: acm.ICertificate | None = None
        zone: route53.IHostedZone | None = None
        if config.hosted_zone_id is not None and config.hosted_zone_name is not None:
            zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=config.hosted_zone_id, zone_name=config.hosted_zone_name
            )
        if config.https:
            assert config.domain_name is not None
            if config.certificate_arn is not None:
                self.certificate = acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn)
            else:
                assert zone is not None
                self.certificate = acm.Certificate(
                    self, "Certificate", domain_name=config.domain_name, validation=acm.CertificateValidation.from_dns(zone)
                )
            listener = self.load_balancer.add_listener(
                "Https",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_certificate_manager(self.certificate)],
                ssl_policy=elbv2.SslPolicy.TLS13_RES,
                open=True,
            )
            self.load_balancer.add_redirect(source_port=80, target_port=443)
        else:
            listener = self.load_balancer.add_listener("Http", port=80, protocol=elbv2.ApplicationProtocol.HTTP, open=True)
        self.listener = listener
        self.target_group = listener.add_targets(
            "Tasks",
            port=config.container_port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service],
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=config.health_check_path,
                healthy_http_codes="200-399",
                interval=Duration.seconds(15),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
        self.alias_record: route53.ARecord | None = None
        if zone is not None and config.domain_name is not None:
            self.alias_record = route53.ARecord(
                self,
                "Alias",
                zone=zone,
                record_name=config.domain_name,
                target=route53.RecordTarget.from_alias(route53_targets.LoadBalancerTarget(self.load_balancer)),
            )

    def _alarms(self) -> AlarmTopic:
        config = self.config
        topic = AlarmTopic(self, "Alarms", email=config.alarm_email, retain=config.production)
        period = Duration.minutes(5)
        topic.alarm(
            self,
            "LoadBalancer5xxAlarm",
            metric=self.load_balancer.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT, period=period, statistic=cloudwatch.Stats.SUM),
            threshold=5,
            description=f"{config.service_name}: the load balancer answered 5xx",
        )
        topic.alarm(
            self,
            "Target5xxAlarm",
            metric=self.target_group.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=period, statistic=cloudwatch.Stats.SUM),
            threshold=5,
            description=f"{config.service_name}: the tasks answered 5xx",
        )
        topic.alarm(
            self,
            "UnhealthyHostsAlarm",
            metric=self.target_group.metrics.unhealthy_host_count(period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM),
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
