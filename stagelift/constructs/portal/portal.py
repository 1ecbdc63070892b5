"""``BackstagePortal``: the whole portal wired together, sized by a ``PortalConfig`` profile."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from ...config.portal import PortalConfig
from ...parameters import NONE, PortalParameter, portal_parameter
from ..alarms import AlarmTopic
from ..keys import allow_cloudwatch_logs
from ..nag import acknowledge, default_policy
from ..secure_bucket import SecureBucket
from ..tagging import tag_service
from .database import PORT as DATABASE_PORT
from .database import PortalDatabase
from .edge import PortalEdge
from .github_app import PortalGitHubApp
from .identity import PortalIdentity
from .network import PortalNetwork
from .service import PortalService
from .techdocs_publisher import TechDocsPublisher


class BackstagePortal(Construct):
    """Backstage on ECS Fargate with RDS PostgreSQL, Cognito, an ALB with TLS, ECR and alarms.

    Every value comes from ``config`` (see ``stagelift.config.PortalConfig``); the construct
    performs no lookups, so it synthesizes offline. Important children are attributes:
    ``key`` (the customer-managed key, None unless ``config.customer_managed_key``), ``network``,
    ``database``, ``identity``, ``edge``, ``service``, ``techdocs_bucket``, ``techdocs_publisher`` (None
    without ``config.github_organization``), ``github_app`` (None without ``config.github_app_secret_arn``), ``parameters`` (SSM, see ``stagelift.parameters``), ``alarm_topic``.
    """

    def __init__(self, scope: Construct, id: str, *, config: PortalConfig, image: ecs.ContainerImage | None = None) -> None:
        """
        :param config: validated portal configuration (a profile plus overrides).
        :param image: container image to run instead of the one ``config`` names (e.g. an image asset); default none.
        """
        super().__init__(scope, id)
        self.config = config
        self.key: kms.Key | None = None
        if config.customer_managed_key:
            self.key = kms.Key(
                self,
                "EncryptionKey",
                description=f"Encrypts the secrets and log groups of the {config.portal_name} portal ({config.environment})",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
            )
            allow_cloudwatch_logs(self.key)
        self.network = PortalNetwork(self, "Network", config=config)
        vpc = self.network.vpc
        self.edge = PortalEdge(
            self, "Edge", config=config, vpc=vpc, public_subnets=self.network.public_subnets, private_subnets=self.network.private_subnets, encryption_key=self.key
        )
        # The one URL users, Cognito and Backstage (app.baseUrl, backend.baseUrl) know the portal by.
        # Without a domain, CloudFront's name: a deploy-time token (Fn::GetAtt of the distribution),
        # which neither the callback nor the task definition feeds back into, so no cycle. The
        # shipped app signs in as guest in a local `yarn start`, so no localhost callback is registered.
        if config.domain_name is not None:
            self.url = f"https://{config.domain_name}"
        else:
            assert self.edge.distribution is not None
            self.url = f"https://{self.edge.distribution.domain_name}"
        self.identity = PortalIdentity(self, "Identity", config=config, base_urls=(self.url,), encryption_key=self.key)
        self.database = PortalDatabase(
            self, "Database", config=config, vpc=vpc, subnets=self.network.isolated_subnets, rotation_subnets=self.network.private_subnets
        )
        self.techdocs_bucket = SecureBucket(
            self, "TechDocs", retain=config.retain_data, access_log_bucket=self.edge.access_logs.bucket, access_log_prefix="techdocs/"
        ).bucket
        self.session_secret = secretsmanager.Secret(
            self,
            "SessionSecret",
            description="Signs Backstage's session cookies",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            encryption_key=self.key,
            removal_policy=RemovalPolicy.DESTROY,
        )
        acknowledge(self.session_secret, "AwsSolutions-SMG4", "Rotating the cookie-signing key signs every user out; rotate it by replacing the secret during a maintenance window.")

        # The GitHub App (optional): its fields become container secrets, app-config.github.yaml's switch a variable.
        self.github_app: PortalGitHubApp | None = None
        if config.github_app_secret_arn is not None and config.github_organization is not None:
            self.github_app = PortalGitHubApp(
                self, "GitHubApp", secret_arn=config.github_app_secret_arn, organization=config.github_organization, encryption_key_arn=config.github_app_secret_key_arn
            )
        github_environment = self.github_app.environment if self.github_app else {}
        github_secrets = self.github_app.secrets if self.github_app else {}

        db = self.database
        self.service = PortalService(
            self,
            "Service",
            config=config,
            vpc=vpc,
            subnets=self.network.private_subnets,
            listener=self.edge.listener,
            image=image,
            encryption_key=self.key,
            environment={
                "PORTAL_BASE_URL": self.url,
                "POSTGRES_HOST": db.instance.db_instance_endpoint_address,
                "POSTGRES_PORT": str(DATABASE_PORT),
                "AUTH_OIDC_METADATA_URL": self.identity.metadata_url,
                "TECHDOCS_BUCKET": self.techdocs_bucket.bucket_name,
                "AWS_REGION": Stack.of(self).region,
                "AUTH_OIDC_SIGN_IN_RESOLVER": config.sign_in_resolver,
                **github_environment,
            },
            secrets={
                "POSTGRES_USER": ecs.Secret.from_secrets_manager(db.app_secret, "username"),
                "POSTGRES_PASSWORD": ecs.Secret.from_secrets_manager(db.app_secret, "password"),
                "AUTH_OIDC_CLIENT_ID": ecs.Secret.from_secrets_manager(self.identity.client_secret, "clientId"),
                "AUTH_OIDC_CLIENT_SECRET": ecs.Secret.from_secrets_manager(self.identity.client_secret, "clientSecret"),
                "AUTH_SESSION_SECRET": ecs.Secret.from_secrets_manager(self.session_secret),
                **github_secrets,
            },
        )
        if self.github_app is not None:
            self.github_app.grant_decrypt(self.service.task_definition.obtain_execution_role())
        # Security groups chained: internet -> load balancer -> tasks -> database.
        db.allow_from(self.service.security_group, "Portal tasks")
        # Tasks start once their database user exists (created by the deploy, not by a task).
        assert db.users is not None
        self.service.service.node.add_dependency(db.users)
        self.techdocs_bucket.grant_read_write(self.service.task_definition.task_role)
        # grant_read_write's wildcards, each scoped to the TechDocs bucket and its objects only.
        for finding in (
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            f"Resource::<{Stack.of(self).get_logical_id(self.techdocs_bucket.node.default_child)}.Arn>/*",  # type: ignore[arg-type]
        ):
            acknowledge(
                default_policy(self.service.task_definition.task_role),
                f"AwsSolutions-IAM5[{finding}]",
                "TechDocs publishes and reads pages under any key of its own bucket; every wildcard is limited to that bucket and its objects.",
            )
        self.techdocs_publisher: TechDocsPublisher | None = None
        if config.github_organization is not None:
            provider = (
                iam.OidcProviderNative.from_oidc_provider_arn(self, "GitHubOidcProvider", config.github_oidc_provider_arn)
                if config.github_oidc_provider_arn
                else None
            )
            self.techdocs_publisher = TechDocsPublisher(
                self, "TechDocsPublisher", bucket=self.techdocs_bucket, organization=config.github_organization, provider=provider
            )
        self.parameters = self._publish(config)
        self.alarm_topic = AlarmTopic(self, "Alarms", email=config.alarm_email, retain=config.retain_data)
        self._add_alarms()
        tag_service(self, service=config.portal_name, tier="portal", owner="platform-team", environment=config.environment)

    def _publish(self, config: PortalConfig) -> dict[PortalParameter, ssm.StringParameter]:
        """SSM parameters a service repository's set-up reads (see ``stagelift.parameters``)."""
        values = {
            PortalParameter.TECHDOCS_BUCKET: self.techdocs_bucket.bucket_name,
            PortalParameter.TECHDOCS_PUBLISHER_ROLE_ARN: self.techdocs_publisher.role.role_arn if self.techdocs_publisher else NONE,
        }
        return {
            key: ssm.StringParameter(self, f"Parameter-{key.value}", parameter_name=portal_parameter(config.environment, config.portal_name, key), string_value=value)
            for key, value in values.items()
        }

    def _add_alarms(self) -> None:
        topic = self.alarm_topic
        service = self.service.service
        instance = self.database.instance
        load_balancer = self.edge.load_balancer
        five_minutes = Duration.minutes(5)
        topic.alarm(self, "ServiceCpuAlarm", metric=service.metric_cpu_utilization(period=five_minutes), threshold=85, description="Portal tasks use over 85% CPU")
        topic.alarm(self, "DatabaseCpuAlarm", metric=instance.metric_cpu_utilization(period=five_minutes), threshold=80, description="Portal database uses over 80% CPU")
        # Alarm when under 10% of the allocated storage is free (storage autoscaling may lag).
        free_bytes = self.config.database_allocated_storage_gib * 1024**3 // 10
        topic.alarm(
            self,
            "DatabaseStorageAlarm",
            metric=instance.metric_free_storage_space(period=five_minutes),
            threshold=free_bytes,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            description="Portal database has under 10% of its allocated storage free",
        )
        topic.alarm(
            self,
            "LoadBalancer5xxAlarm",
            metric=load_balancer.metrics.http_code_elb(code=elbv2.HttpCodeElb.ELB_5XX_COUNT, period=five_minutes),
            threshold=10,
            description="Portal load balancer returned over 10 5xx responses in 5 minutes",
        )
        topic.alarm(
            self,
            "Target5xxAlarm",
            metric=self.service.target_group.metrics.http_code_target(code=elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=five_minutes),
            threshold=10,
            description="Portal backend returned over 10 5xx responses in 5 minutes",
        )
        topic.alarm(
            self,
            "UnhealthyTargetsAlarm",
            metric=self.service.target_group.metrics.unhealthy_host_count(period=Duration.minutes(1)),
            threshold=0,
            evaluation_periods=3,
            description="A portal task fails its readiness check",
        )

