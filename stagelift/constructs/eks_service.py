"""Stage 3: the AWS side of one service running on an ``EksPlatform`` cluster, and its manifests.

The workload's Kubernetes objects are not applied by CDK: Argo CD syncs them from the service's
Git repository (GitOps). ``EksService`` creates what lives in AWS (pod IAM role, ECR repository,
data stores, queue, topic, Kafka), renders those manifests with ``render_manifests`` from values
known at synthesis time, so they can be committed, and applies through the cluster's kubectl
handler (inside the VPC: the API endpoint is private) what the platform owns: the Namespace, its
ResourceQuota, the Argo CD Application in the owner's AppProject, and the ConfigMap
``<service>-endpoints`` with the data stores' endpoints (database host and port, Redis host, port
and AUTH secret ARN, Kafka cluster ARN), values CloudFormation only knows at deploy time. Pods
load it with ``envFrom``.

How the AWS identifiers reach the manifests without CDK tokens: every name a manifest needs is
fixed from the service name and environment (``name_stem``), and ARNs/URLs are composed from the
stack's account and region. That needs a stack with an explicit ``env`` (account and region);
without one, constructing still works (templates deploy anywhere) but ``manifests`` raises a
``ConfigError`` explaining why.

- pod IAM role ``eks-<service>-<env>-<region>`` (EKS Pod Identity association by default, or IRSA:
  the role ARN annotates the ServiceAccount);
- ECR repository ``eks/<service>-<env>``; image ``<account>.dkr.ecr.<region>.amazonaws.com/eks/<service>-<env>:<image_tag>``
  (CI pushes a new immutable tag and updates ``deployment.yaml`` in Git);
- FIFO queue ``<service>-<env>.fifo`` (dead-letter ``<service>-<env>-dlq.fifo``), SNS topic
  ``<service>-<env>-events``, MSK Serverless cluster ``<service>-<env>``.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnJson, CfnRule, CfnRuleAssertion, Duration, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_msk as msk
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from stagelift.config.eks import EksServiceConfig
from stagelift.config.errors import ConfigError
from stagelift.kubernetes.manifests import (
    MSK_IAM_PORT,
    Manifest,
    endpoints_config_map,
    render_manifests,
    render_registration,
    target_group_binding,
    write_manifests,
)

from .data_stores import PostgresDatabase, QueueWithDeadLetter, RedisCache
from .generated_nag import acknowledge_rules
from .eks_platform import pod_identity_principal
from .iam_database_user import IamDatabaseUser
from .service_route import ip_target_group
from .tagging import tag_service

ENVIRONMENT_ABBREVIATIONS = {"development": "dev", "staging": "stg", "production": "prd"}
DEFAULT_IMAGE_TAG = "0.1.0"
KEEP_IMAGES = 30
DATABASE_NAME = "app"


def name_stem(config: EksServiceConfig) -> str:
    """``<service>-<env>`` (``orders-prd``): the fixed part of every AWS name the manifests need."""
    return f"{config.service_name}-{ENVIRONMENT_ABBREVIATIONS[config.environment]}"


def pod_role_name(config: EksServiceConfig, region: str) -> str:
    """IAM role names are global to the account: the region keeps two regions' roles apart."""
    return f"eks-{name_stem(config)}-{region}"


def _region_facts(region: str) -> tuple[str, str]:
    """(partition, domain suffix) of a region, from what aws-cdk-lib knows (``region_info``)."""
    info = RegionInfo.get(region)
    if info.partition is None or info.domain_suffix is None:
        raise ConfigError("stack region", [f"region = {region!r}: aws_cdk.region_info does not know this region's partition"])
    return info.partition, info.domain_suffix


class EksService(Construct):
    """AWS resources of one EKS service, least privilege for its pods, and its Kubernetes manifests.

    Always: a pod IAM role trusted only by the service's ServiceAccount (EKS Pod Identity, or
    IRSA with ``sub``/``aud`` conditions), an ECR repository (scan on push, immutable tags,
    KMS encryption, lifecycle keeping the last 30 images). Each ``enable_*`` option adds its
    store, reachable only from the cluster's security group, and grants the pod role exactly
    what the service needs on it.

    With ``enable_database``, ``IamDatabaseUser`` creates the PostgreSQL user the pods connect as
    (IAM authentication, member of ``rds_iam``) through the RDS Data API before the Application is
    registered, so no pod starts before its user exists.

    Shared front door (``shared_load_balancer_security_group``, with the environment's ``vpc``):
    the service gets no Ingress (so no load balancer of its own); ``target_group`` is an IP target
    group (health check on ``config.health_check_path``) that a ``ServiceRoute`` attaches to the
    shared listener, and the AWS Load Balancer Controller fills it with the pods' IPs through a
    ``TargetGroupBinding`` (``target_group_binding``), which also lets the load balancer's security
    group in on the container port. The binding names the target group's ARN, a deploy-time value,
    so it is applied with the registration objects through the kubectl handler, not from Git.

    Attributes: ``config``, ``role``, ``repository``, ``image``, ``database``, ``target_group``,
    ``target_group_binding`` (None without a shared load balancer),
    ``database_user_creation``, ``cache``, ``queues``, ``topic``, ``kafka`` (None when off),
    ``registration`` (the objects applied through the kubectl handler), ``manifests``,
    ``manifest_files``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: EksServiceConfig,
        cluster: eks.ICluster,
        vpc: ec2.IVpc | None = None,
        manifests_dir: Path | str | None = None,
        keda_operator_role: iam.IRole | None = None,
        image: str | None = None,
        image_tag: str | None = None,
        oidc_issuer: str | None = None,
        node_architecture: str | None = None,
        shared_load_balancer_security_group: ec2.ISecurityGroup | None = None,
    ) -> None:
        """
        :param config: validated service options.
        :param cluster: the ``EksPlatform`` cluster (or an imported one with its OIDC provider for IRSA).
        :param vpc: the cluster's VPC, where data stores and Kafka are placed; required when one is
            enabled, default none.
        :param manifests_dir: write the rendered manifests there at construction; default none
            (read ``manifests`` and call ``write_manifests`` yourself).
        :param keda_operator_role: the platform's KEDA operator role (``EksPlatform.keda_operator_role``),
            granted ``sqs:GetQueueAttributes`` on this service's queue; required with ``enable_keda``.
        :param image: full image reference for the Deployment; default this service's ECR
            repository at ``image_tag``. Conflicts with ``image_tag``.
        :param image_tag: tag in this service's ECR repository; default ``0.1.0``.
        :param oidc_issuer: the cluster's OIDC issuer without ``https://`` for IRSA trust conditions,
            e.g. ``EksPlatform.oidc_issuer`` (an export, so a service in another stack needs no
            ``Fn::Split`` over a cross-stack reference); default derived from
            ``cluster.open_id_connect_provider``. Only used with ``podIdentity = 'irsa'``.
        :param node_architecture: the platform's node architecture (``EksPlatformConfig.architecture``,
            or the deploy-time value ``EksPlatformImport.node_architecture``); checked against
            ``config.architecture`` at synthesis, or by a CloudFormation rule before anything is
            deployed; default none (not checked).
        :param shared_load_balancer_security_group: a service environment's load balancer security group: serve
            behind its shared listener (``target_group`` + ``TargetGroupBinding``, no Ingress); requires ``vpc``;
            default None (the service's own Ingress).
        """
        super().__init__(scope, id)
        if config.enable_keda and keda_operator_role is None:
            raise ValueError("enableKeda needs keda_operator_role (EksPlatform.keda_operator_role): KEDA reads the queue length with it")
        if keda_operator_role is not None and not config.enable_keda:
            raise ValueError("keda_operator_role is only used with enableKeda: enable it or leave the role out")
        if oidc_issuer is not None and config.pod_identity != "irsa":
            raise ValueError("oidc_issuer is only used with podIdentity = 'irsa': leave it out for EKS Pod Identity")
        if image is not None and image_tag is not None:
            raise ValueError("image and image_tag conflict: image is a full reference, image_tag picks a tag in the service's ECR repository")
        if node_architecture is not None and not Token.is_unresolved(node_architecture) and node_architecture != config.architecture:
            raise ValueError(
                f"architecture = {config.architecture!r} but the platform's nodes are {node_architecture!r}: the image would not run there (exec format error); set architecture = {node_architecture!r}"
            )
        stores = [name for name, on in (("enableDatabase", config.enable_database), ("enableRedis", config.enable_redis), ("enableKafka", config.enable_kafka)) if on]
        if stores and vpc is None:
            raise ValueError(f"{', '.join(stores)} place stores in the cluster's VPC: give vpc (EksPlatform.vpc or EksPlatformImport.vpc)")
        if config.attached and shared_load_balancer_security_group is None:
            raise ValueError(
                f"config.serviceEnvironment = {config.service_environment!r} but no shared_load_balancer_security_group: pass the "
                "environment's (ServiceEnvironmentImport: vpc, load_balancer_security_group), or set serviceEnvironment = 'standalone'"
            )
        if shared_load_balancer_security_group is not None and vpc is None:
            raise ValueError("shared_load_balancer_security_group needs vpc (the cluster's VPC, where the target group lives)")
        if cluster.kubectl_provider is None:
            raise ValueError(
                "cluster has no kubectl provider: EksService applies the namespace, ConfigMap and Argo CD Application through it (use EksPlatform.cluster or EksPlatformImport.cluster)"
            )
        self.config = config
        stack = Stack.of(self)
        self._stack = stack
        self._region = stack.region
        self._account = stack.account
        stem = name_stem(config)
        namespace = config.k8s_namespace
        retain = config.production
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY

        # --- pod identity -----------------------------------------------------------------
        if config.pod_identity == "pod-identity":
            principal: iam.IPrincipal = pod_identity_principal()
        else:
            provider = cluster.open_id_connect_provider
            issuer = oidc_issuer or provider.open_id_connect_provider_issuer
            conditions = CfnJson(
                self,
                "IrsaConditions",
                value={
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{config.service_name}",
                    f"{issuer}:aud": "sts.amazonaws.com",
                },
            )
            principal = iam.OpenIdConnectPrincipal(provider, {"StringEquals": conditions})
        self.role = iam.Role(
            self,
            "PodRole",
            role_name=pod_role_name(config, stack.region),
            description=f"Pods of EKS service {config.service_name} ({config.environment}), namespace {namespace}",
            assumed_by=principal,
            max_session_duration=Duration.hours(1),
        )
        self.pod_identity_association: eks.CfnPodIdentityAssociation | None = None
        if config.pod_identity == "pod-identity":
            self.pod_identity_association = eks.CfnPodIdentityAssociation(
                self,
                "PodIdentityAssociation",
                cluster_name=cluster.cluster_name,
                namespace=namespace,
                service_account=config.service_name,
                role_arn=self.role.role_arn,
            )

        # --- container image ------------------------------------------------------------
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=f"eks/{stem}",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.KMS,
            lifecycle_rules=[ecr.LifecycleRule(description=f"Keep the last {KEEP_IMAGES} images", max_image_count=KEEP_IMAGES)],
            removal_policy=removal,
            empty_on_delete=not retain,
        )
        self._image = image
        self._image_tag = image_tag or DEFAULT_IMAGE_TAG

        # --- data stores ----------------------------------------------------------------
        # Read only with a store: an imported platform then needs no security-group parameter.
        cluster_sg = cluster.cluster_security_group if stores else None
        self.database: PostgresDatabase | None = None
        self.database_user_creation: IamDatabaseUser | None = None
        if config.enable_database:
            assert vpc is not None and cluster_sg is not None
            self.database = PostgresDatabase(self, "Database", vpc=vpc, production=config.production, engine="aurora-serverless", allowed_from=cluster_sg)
            self.database.grant_connect(self.role, self.database_user)
            assert self.database.cluster is not None  # aurora-serverless
            # The user pods connect as exists (member of rds_iam) before the first pod starts.
            self.database_user_creation = IamDatabaseUser(
                self, "DatabaseUser", cluster=self.database.cluster, user=self.database_user, database=DATABASE_NAME
            )
        self.cache: RedisCache | None = None
        if config.enable_redis:
            assert vpc is not None and cluster_sg is not None
            self.cache = RedisCache(self, "Cache", vpc=vpc, production=config.production, allowed_from=cluster_sg)
            self.cache.auth_token.grant_read(self.role)

        self.queues: QueueWithDeadLetter | None = None
        if config.enable_fifo_queue:
            self.queues = QueueWithDeadLetter(self, "Queue", fifo=True, visibility_timeout=Duration.minutes(5), removal_policy=removal)
            self._name_queue(self.queues.queue, f"{stem}.fifo")
            self._name_queue(self.queues.dead_letter_queue, f"{stem}-dlq.fifo")
            self.queues.queue.grant_consume_messages(self.role)
            self.queues.queue.grant_send_messages(self.role)
            if keda_operator_role is not None:
                iam.Policy(
                    self,
                    "KedaQueueAccess",
                    statements=[iam.PolicyStatement(actions=["sqs:GetQueueAttributes"], resources=[self.queues.queue.queue_arn])],
                    roles=[keda_operator_role],
                )

        self.topic: sns.Topic | None = None
        if config.enable_topic:
            self.topic = sns.Topic(
                self,
                "Topic",
                topic_name=f"{stem}-events",
                master_key=kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns"),
                enforce_ssl=True,
            )
            # The AWS managed SNS key lets account principals use it through SNS: no KMS grant needed.
            self.role.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[self.topic.topic_arn]))

        self.kafka: msk.CfnServerlessCluster | None = None
        self.kafka_security_group: ec2.SecurityGroup | None = None
        if config.enable_kafka:
            assert vpc is not None and cluster_sg is not None
            self._kafka(stem, vpc, cluster_sg)

        self.target_group: elbv2.ApplicationTargetGroup | None = None
        self.target_group_binding: Manifest | None = None
        if shared_load_balancer_security_group is not None:
            assert vpc is not None
            self.target_group = ip_target_group(self, "TargetGroup", vpc=vpc, port=config.container_port, health_check_path=config.health_check_path)
            self.target_group_binding = target_group_binding(
                config,
                target_group_arn=self.target_group.target_group_arn,
                load_balancer_security_group_id=shared_load_balancer_security_group.security_group_id,
            )

        self._register(cluster, node_architecture)
        tag_service(self, service=config.service_name, tier="eks", owner=config.owner, environment=config.environment)

        self._manifests: list[Manifest] | None = None
        self.manifest_files: list[Path] = []
        if manifests_dir is not None:
            self.manifest_files = write_manifests(self.manifests, manifests_dir)

    @property
    def database_user(self) -> str:
        """PostgreSQL user the pods connect as with IAM authentication (created by ``IamDatabaseUser``)."""
        return self.config.service_name.replace("-", "_")

    @property
    def endpoints(self) -> dict[str, str]:
        """The ConfigMap's data: every enabled store's endpoint (deploy-time values), and the region."""
        data: dict[str, str] = {"AWS_REGION": self._stack.region}
        if self.database is not None:
            data.update({"DATABASE_HOST": self.database.endpoint_address, "DATABASE_PORT": self.database.endpoint_port})
        if self.cache is not None:
            data.update(
                {
                    "REDIS_HOST": self.cache.endpoint_address,
                    "REDIS_PORT": self.cache.endpoint_port,
                    "REDIS_TLS": "true",
                    "REDIS_AUTH_SECRET_ARN": self.cache.auth_token.secret_arn,
                }
            )
        if self.kafka is not None:
            # MSK Serverless has no bootstrap-broker attribute in CloudFormation: pods ask
            # kafka:GetBootstrapBrokers for this ARN (granted to the pod role).
            data["KAFKA_CLUSTER_ARN"] = self.kafka.attr_arn
        return data

    def _register(self, cluster: eks.ICluster, node_architecture: str | None) -> None:
        """Namespace, ResourceQuota, endpoints ConfigMap and Argo CD Application, through the kubectl handler."""
        namespace, quota, application = render_registration(self.config)
        self.registration = eks.KubernetesManifest(
            self,
            "Registration",
            cluster=cluster,
            manifest=[
                namespace,
                quota,
                endpoints_config_map(self.config, self.endpoints),
                *([self.target_group_binding] if self.target_group_binding is not None else []),
                application,
            ],
            overwrite=True,
        )
        if self.database_user_creation is not None:
            # Argo CD starts pods once the Application exists: the database user must exist first.
            self.registration.node.add_dependency(self.database_user_creation)
        if node_architecture is not None and Token.is_unresolved(node_architecture):
            CfnRule(
                self,
                "NodeArchitecture",
                assertions=[
                    CfnRuleAssertion(
                        assert_=Fn.condition_equals(node_architecture, self.config.architecture),
                        assert_description=f"The image is built for {self.config.architecture}: the platform's nodes must be {self.config.architecture} (set the service's architecture to the platform's node-architecture parameter)",
                    )
                ],
            )

    def _name_queue(self, queue: sqs.Queue, name: str) -> None:
        cfn = queue.node.default_child
        assert isinstance(cfn, sqs.CfnQueue)
        cfn.queue_name = name

    def _kafka(self, stem: str, vpc: ec2.IVpc, cluster_sg: ec2.ISecurityGroup) -> None:
        self.kafka_security_group = ec2.SecurityGroup(
            self, "KafkaSecurityGroup", vpc=vpc, description=f"MSK Serverless of {self.config.service_name}", allow_all_outbound=False
        )
        self.kafka_security_group.add_ingress_rule(cluster_sg, ec2.Port.tcp(MSK_IAM_PORT), "Kafka (IAM auth, TLS) from the EKS cluster")
        subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.kafka = msk.CfnServerlessCluster(
            self,
            "Kafka",
            cluster_name=stem,
            client_authentication=msk.CfnServerlessCluster.ClientAuthenticationProperty(
                sasl=msk.CfnServerlessCluster.SaslProperty(iam=msk.CfnServerlessCluster.IamProperty(enabled=True))
            ),
            vpc_configs=[
                msk.CfnServerlessCluster.VpcConfigProperty(subnet_ids=subnets.subnet_ids, security_groups=[self.kafka_security_group.security_group_id])
            ],
        )
        stack = self._stack
        cluster_arn = self.kafka.attr_arn
        # arn:...:cluster/<name>/<uuid>: topics and groups live under .../<name>/<uuid>/...
        uuid = Fn.select(2, Fn.split("/", cluster_arn))
        prefix = f"arn:{stack.partition}:kafka:{stack.region}:{stack.account}"
        policy = iam.Policy(
            self,
            "KafkaAccess",
            statements=[
                iam.PolicyStatement(actions=["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], resources=[cluster_arn]),
                # The bootstrap broker string is only available from this API.
                iam.PolicyStatement(actions=["kafka:GetBootstrapBrokers"], resources=[cluster_arn]),
                iam.PolicyStatement(
                    actions=[
                        "kafka-cluster:CreateTopic",
                        "kafka-cluster:DescribeTopic",
                        "kafka-cluster:ReadData",
                        "kafka-cluster:WriteData",
                    ],
                    resources=[Fn.join("", [f"{prefix}:topic/{stem}/", uuid, "/*"])],
                ),
                iam.PolicyStatement(
                    actions=["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
                    resources=[Fn.join("", [f"{prefix}:group/{stem}/", uuid, "/*"])],
                ),
            ],
            roles=[self.role],
        )
        acknowledge_rules(
            policy,
            {
                "AwsSolutions-IAM5": "The service owns its MSK Serverless cluster: topics and consumer groups are created by the service at run time, so they are wildcards within this one cluster's ARN.",
            },
        )

    # --- manifests --------------------------------------------------------------------------
    @property
    def image(self) -> str:
        """The Deployment's image reference (tokens when the stack has no explicit env)."""
        if self._image is not None:
            return self._image
        suffix = self._stack.url_suffix if Token.is_unresolved(self._region) else _region_facts(self._region)[1]
        registry = f"{self._account}.dkr.ecr.{self._region}.{suffix}"
        return f"{registry}/{self.repository_name}:{self._image_tag}"

    @property
    def repository_name(self) -> str:
        return f"eks/{name_stem(self.config)}"

    @property
    def manifests(self) -> list[Manifest]:
        """The service's Kubernetes objects (see ``render_manifests``), with resolved ARNs and URLs.

        :raises ConfigError: the stack has no explicit account and region, so names in AWS are not known at synthesis.
        """
        if self._manifests is None:
            if Token.is_unresolved(self._account) or Token.is_unresolved(self._region):
                raise ConfigError(
                    f"EKS service {self.config.service_name!r}",
                    [
                        "the manifests name the pod role, image and queue by account and region: give the stack an explicit "
                        "env=Environment(account=..., region=...) to render them"
                    ],
                )
            region, account = self._region, self._account
            partition, suffix = _region_facts(region)
            stem = name_stem(self.config)
            queue_name = f"{stem}.fifo" if self.config.enable_fifo_queue else None
            environment: dict[str, str] = {}
            if self.config.enable_database:
                environment.update({"DATABASE_NAME": DATABASE_NAME, "DATABASE_USER": self.database_user, "DATABASE_IAM_AUTH": "true"})
            if self.config.enable_kafka:
                environment["KAFKA_CLUSTER_NAME"] = stem
            self._manifests = render_manifests(
                self.config,
                image=self.image,
                role_arn=f"arn:{partition}:iam::{account}:role/{pod_role_name(self.config, region)}",
                region=region,
                queue_url=f"https://sqs.{region}.{suffix}/{account}/{queue_name}" if queue_name else None,
                queue_name=queue_name,
                topic_arn=f"arn:{partition}:sns:{region}:{account}:{stem}-events" if self.config.enable_topic else None,
                environment=environment,
                ingress=self.target_group is None,
            )
        return self._manifests
