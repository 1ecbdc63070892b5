"""Stage 3: the shared EKS cluster the platform team deploys once and services run on.

Built on ``aws_cdk.aws_eks_v2`` (stable, inside aws-cdk-lib 2.275): a native ``AWS::EKS::Cluster``
with access entries instead of the ``aws-auth`` ConfigMap, and no nested stacks. The kubectl
handler (a Lambda with the kubectl/helm layer matching the cluster version) is created because
the platform installs Helm charts (the AWS Load Balancer Controller, Argo CD, Karpenter, KEDA,
External Secrets) and because service stacks register their namespace, ConfigMap and Argo CD
Application through it: the API endpoint is private, so nothing outside the VPC can.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from aws_cdk import Annotations, CfnResource, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from stagelift.config.eks import EksPlatformConfig, EksServiceConfig, team_name
from stagelift.parameters import NONE, EksParameter, eks_parameter
from stagelift.extras import require
from stagelift.config.network import check_ipv4_cidr

from .dependencies import drop_implied_dependencies
from .eks_nag import acknowledge_rules
from .log_encryption import log_group_key
from .nag import acknowledge
from .network import ServiceNetwork

KARPENTER_VERSION = "1.8.1"
KARPENTER_NAMESPACE = "kube-system"
KARPENTER_SERVICE_ACCOUNT = "karpenter"
KEDA_VERSION = "2.18.0"
KEDA_NAMESPACE = "keda"
KEDA_SERVICE_ACCOUNT = "keda-operator"
# Argo CD from its community Helm chart (argo-helm); pinned, upgraded deliberately.
ARGOCD_CHART_VERSION = "9.5.4"
ARGOCD_NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
# External Secrets Operator copies the Git credentials from Secrets Manager into Argo CD.
EXTERNAL_SECRETS_VERSION = "2.3.0"
EXTERNAL_SECRETS_NAMESPACE = "external-secrets"
EXTERNAL_SECRETS_SERVICE_ACCOUNT = "external-secrets"
REPOSITORY_CREDENTIALS_SECRET = "stagelift-git-credentials"
# Namespaces no team's Argo CD project may deploy to.
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", ARGOCD_NAMESPACE, KEDA_NAMESPACE, EXTERNAL_SECRETS_NAMESPACE)
PRIVATE_SUBNETS = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

_VERSIONS = {
    "1.34": eks.KubernetesVersion.V1_34,
    "1.35": eks.KubernetesVersion.V1_35,
    "1.36": eks.KubernetesVersion.V1_36,
}


def kubectl_layer(scope: Construct, id: str, version: str) -> lambda_.ILayerVersion:
    """The kubectl + helm layer for Kubernetes ``version`` (kubectl must match the cluster's minor)."""
    if version in ("1.34", "1.35", "1.36"):
        minor = version.split(".")[1]
        # One package per Kubernetes version, in the 'eks' extra: Lambda and Fargate services do not install them.
        layers = require(f"aws_cdk.lambda_layer_kubectl_v{minor}", "eks", f"EksPlatform (kubectl layer for Kubernetes {version})")
        return getattr(layers, f"KubectlV{minor}Layer")(scope, id)
    raise ValueError(f"kubernetesVersion = {version!r}: no kubectl layer; expected one of {', '.join(_VERSIONS)}")


class EksPlatform(Construct):
    """A private, encrypted, fully logged EKS cluster ready for stagelift services.

    - Kubernetes ``config.kubernetes_version``; secrets envelope-encrypted with a rotating KMS key;
      all five control-plane log types to a KMS-encrypted log group with
      ``config.log_retention_days`` retention.
    - API endpoint private (reachable from the VPC only) unless ``public_endpoint_cidrs`` is given.
    - Nodes in private subnets: a managed node group (Graviton ``m7g.large`` by default) or, with
      ``node_provisioning == "karpenter"``, a small bootstrap node group plus Karpenter (node role,
      instance profile, access entry, SQS interruption queue with EventBridge rules, controller
      role via EKS Pod Identity, the Helm chart, a default EC2NodeClass and NodePool).
    - Nodes reach the instance metadata service with IMDSv2 only and a hop limit of 1 (launch
      template of the node group, ``metadataOptions`` of Karpenter's EC2NodeClass): pods cannot
      borrow the node role; they get ``AWS_REGION`` from their environment instead.
    - ``vpc-cni`` add-on with network policy enforcement on, so services' NetworkPolicies apply;
      EKS Pod Identity Agent add-on, AWS Load Balancer Controller, optional KEDA (its operator
      gets an EKS Pod Identity role; ``EksService`` grants it read access to each queue).
    - Argo CD (Helm chart ``ARGOCD_CHART_VERSION``) with one AppProject per ``config.teams``
      entry: sources under ``config.git_url_prefix``, any namespace but the system ones, no
      cluster-scoped objects. With ``git_credentials``, External Secrets Operator copies that
      Secrets Manager secret into Argo CD's credential template for ``git_url_prefix``.
    - What services need, published as SSM parameters ``/stagelift/<environment>/eks/<cluster>/...``
      (``stagelift.parameters``), read by ``EksPlatformImport`` at deploy time.

    Attributes: ``cluster``, ``vpc``, ``network`` (None for a given VPC), ``secrets_key``,
    ``log_group``, ``oidc_provider``, ``oidc_issuer`` (exported, for ``EksService(oidc_issuer=...)``),
    ``nodegroup``, ``node_launch_template``, ``vpc_cni``, ``pod_identity_agent``, ``alb_controller``,
    ``argocd``, ``argocd_projects``, ``external_secrets`` (None without ``git_credentials``),
    ``karpenter`` (None without Karpenter), ``keda_operator_role`` and ``keda_chart`` (None
    without KEDA), ``parameters`` (key -> ``ssm.StringParameter`` / ``ssm.StringListParameter``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: EksPlatformConfig,
        vpc: ec2.IVpc | None = None,
        availability_zones: Sequence[str] | None = None,
        public_endpoint_cidrs: Sequence[str] | None = None,
        admin_role: iam.IRole | None = None,
        git_credentials: secretsmanager.ISecret | None = None,
        retain: bool = False,
    ) -> None:
        """
        :param config: validated platform options.
        :param vpc: VPC with private subnets (with egress) for the nodes; default a new
            ``ServiceNetwork`` spanning ``config.max_azs`` AZs with ``config.nat_gateways`` NAT gateways.
        :param availability_zones: AZ names for that new network (no lookup needed); default none
            (CDK picks ``config.max_azs`` AZs). Conflicts with ``vpc``.
        :param public_endpoint_cidrs: also expose the Kubernetes API publicly, but only to these
            CIDRs; default none (private endpoint only: kubectl works from inside the VPC).
        :param admin_role: IAM role granted cluster admin through an access entry; default none
            (only the deploying principal and the kubectl handler are admins).
        :param git_credentials: Secrets Manager secret with JSON keys ``username`` and ``password``
            (a token) that Argo CD uses for every repository under ``config.git_url_prefix``;
            default none (public repositories only). Its value never passes through CloudFormation
            or the kubectl handler's logs: External Secrets Operator reads it in the cluster.
        :param retain: keep the secrets key and the log group when the stack is deleted; default False.
        """
        super().__init__(scope, id)
        if vpc is not None and availability_zones is not None:
            raise ValueError("vpc and availability_zones conflict: availability_zones only applies to the network EksPlatform creates when no vpc is given")
        if public_endpoint_cidrs is not None and not public_endpoint_cidrs:
            raise ValueError("public_endpoint_cidrs = []: give at least one CIDR, or None for a private-only endpoint")
        for cidr in public_endpoint_cidrs or ():
            try:
                check_ipv4_cidr(cidr, min_prefix=1)
            except ValueError as error:
                raise ValueError(f"public_endpoint_cidrs: {cidr!r} is not a restricted IPv4 CIDR (0.0.0.0/0 would make the API public): {error}") from None
        self.config = config
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        stack = Stack.of(self)

        self.network: ServiceNetwork | None = None
        if vpc is None:
            self.network = ServiceNetwork(
                self,
                "Network",
                max_azs=config.max_azs,
                nat_gateways=config.nat_gateways,
                availability_zones=availability_zones,
                retain=retain,
            )
            vpc = self.network.vpc
        self.vpc: ec2.IVpc = vpc
        private_subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets

        self.secrets_key = kms.Key(
            self,
            "SecretsKey",
            description=f"Envelope encryption of Kubernetes secrets in EKS cluster {config.cluster_name}",
            enable_key_rotation=True,
            removal_policy=removal,
        )
        # EKS writes to this fixed name; creating it first sets retention and encryption.
        log_group_name = f"/aws/eks/{config.cluster_name}/cluster"
        log_key = log_group_key(
            self,
            "LogKey",
            description=f"Encrypts the control-plane logs of EKS cluster {config.cluster_name}",
            removal_policy=removal,
            log_group_name=log_group_name,
        )
        self.log_group = logs.LogGroup(
            self,
            "ControlPlaneLogs",
            log_group_name=log_group_name,
            retention=logs.RetentionDays.INFINITE,
            encryption_key=log_key,
            removal_policy=removal,
        )

        kubectl_sg = ec2.SecurityGroup(self, "KubectlSecurityGroup", vpc=vpc, description="kubectl handler of the EKS platform: reaches the private API endpoint", allow_all_outbound=True)
        endpoint = eks.EndpointAccess.PRIVATE if public_endpoint_cidrs is None else eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*public_endpoint_cidrs)
        self.cluster = eks.Cluster(
            self,
            "Cluster",
            cluster_name=config.cluster_name,
            version=_VERSIONS[config.kubernetes_version],
            vpc=vpc,
            vpc_subnets=[PRIVATE_SUBNETS],
            endpoint_access=endpoint,
            secrets_encryption_key=self.secrets_key,
            cluster_logging=[
                eks.ClusterLoggingTypes.API,
                eks.ClusterLoggingTypes.AUDIT,
                eks.ClusterLoggingTypes.AUTHENTICATOR,
                eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
                eks.ClusterLoggingTypes.SCHEDULER,
            ],
            default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
            default_capacity=0,
            kubectl_provider_options=eks.KubectlProviderOptions(
                kubectl_layer=kubectl_layer(self, "KubectlLayer", config.kubernetes_version),
                private_subnets=private_subnets,
                security_groups=[kubectl_sg],
            ),
            alb_controller=eks.AlbControllerOptions(version=eks.AlbControllerVersion.V3_2_2),
            masters_role=admin_role,
            output_config_command=False,
            removal_policy=removal,
        )
        # RetentionDays members are named, not numbered: set the validated number of days directly.
        log_cfn = self.log_group.node.default_child
        assert isinstance(log_cfn, logs.CfnLogGroup)
        log_cfn.retention_in_days = config.log_retention_days
        self.cluster.node.add_dependency(self.log_group)
        # aws_eks_v2 makes the cluster depend on its subnets' connectivity, the subnets included, which
        # its properties already name (cfn-lint W3005); the routes and NAT stay dependencies.
        subnet_resources = [s.node.default_child for s in private_subnets if isinstance(s.node.default_child, CfnResource)]
        if subnet_resources:
            drop_implied_dependencies(self.cluster.node.default_child, *subnet_resources)  # type: ignore[arg-type]
        self.cluster.connections.allow_from(kubectl_sg, ec2.Port.tcp(443), "kubectl handler to the API endpoint")
        self.alb_controller = self.cluster.alb_controller
        self.oidc_provider = self.cluster.open_id_connect_provider
        # IRSA trust conditions name the issuer (host/path, no scheme). Exported under a fixed name
        # so service stacks import a plain string instead of splitting a cross-stack reference.
        self.oidc_issuer: str = stack.export_value(
            self.oidc_provider.open_id_connect_provider_issuer,
            name=f"stagelift-eks-{config.cluster_name}-oidc-issuer",
        )

        self.pod_identity_agent = eks.CfnAddon(
            self,
            "PodIdentityAgent",
            addon_name="eks-pod-identity-agent",
            cluster_name=self.cluster.cluster_name,
            resolve_conflicts="OVERWRITE",
        )
        # Without the add-on's network policy agent, NetworkPolicy objects are stored but not enforced.
        self.vpc_cni = eks.CfnAddon(
            self,
            "VpcCni",
            addon_name="vpc-cni",
            cluster_name=self.cluster.cluster_name,
            resolve_conflicts="OVERWRITE",
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
        )

        karpenter = config.node_provisioning == "karpenter"
        instance_types = [ec2.InstanceType(t) for t in config.instance_types]
        # IMDSv2 only, one hop: a pod (one hop further than the node) gets no answer from IMDS.
        self.node_launch_template = ec2.LaunchTemplate(
            self,
            "NodeLaunchTemplate",
            require_imdsv2=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=1,
            http_endpoint=True,
        )
        # With Karpenter this small group only runs the controllers (Karpenter must not run on
        # nodes it manages); Karpenter provisions everything else.
        self.nodegroup = self.cluster.add_nodegroup_capacity(
            "Nodes",
            nodegroup_name=f"{config.cluster_name}-{'bootstrap' if karpenter else 'nodes'}",
            instance_types=instance_types,
            min_size=config.min_nodes,
            desired_size=config.min_nodes,
            max_size=config.min_nodes if karpenter else config.max_nodes,
            subnets=PRIVATE_SUBNETS,
            capacity_type=eks.CapacityType.ON_DEMAND,
            # With a launch template aws-cdk-lib leaves the AMI type out: name it from the table's architecture.
            ami_type=eks.NodegroupAmiType.AL2023_ARM_64_STANDARD if config.architecture == "arm64" else eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
            enable_node_auto_repair=True,
            max_unavailable=1,
            launch_template_spec=eks.LaunchTemplateSpec(
                id=self.node_launch_template.launch_template_id or "",
                version=self.node_launch_template.latest_version_number,
            ),
        )
        # The CNI must be the managed one (network policy agent) before pods are scheduled.
        self.nodegroup.node.add_dependency(self.vpc_cni)
        self.karpenter: Karpenter | None = None
        if karpenter:
            self.karpenter = Karpenter(self, "Karpenter", cluster=self.cluster, config=config, subnets=private_subnets, pod_identity_agent=self.pod_identity_agent)

        self.keda_operator_role: iam.Role | None = None
        self.keda_chart: eks.HelmChart | None = None
        if config.enable_keda:
            self.keda_operator_role = iam.Role(
                self,
                "KedaOperatorRole",
                description=f"KEDA operator of EKS cluster {config.cluster_name}: reads queue lengths (granted per service)",
                assumed_by=pod_identity_principal(),
            )
            association = eks.CfnPodIdentityAssociation(
                self,
                "KedaOperatorPodIdentity",
                cluster_name=self.cluster.cluster_name,
                namespace=KEDA_NAMESPACE,
                service_account=KEDA_SERVICE_ACCOUNT,
                role_arn=self.keda_operator_role.role_arn,
            )
            association.add_resource_dependency(self.pod_identity_agent)
            self.keda_chart = self.cluster.add_helm_chart(
                "Keda",
                chart="keda",
                repository="https://kedacore.github.io/charts",
                version=KEDA_VERSION,
                namespace=KEDA_NAMESPACE,
                release="keda",
                create_namespace=True,
                values={
                    "serviceAccount": {"operator": {"name": KEDA_SERVICE_ACCOUNT}},
                    "podIdentity": {"aws": {"irsa": {"enabled": False}}},
                    # IMDS is closed to pods: the region comes from the environment.
                    "env": [{"name": "AWS_REGION", "value": stack.region}],
                },
                wait=True,
            )
            self.keda_chart.node.add_dependency(association)
            self.keda_chart.node.add_dependency(self.nodegroup)

        self._argocd(config, stack)
        self.external_secrets: eks.HelmChart | None = None
        if git_credentials is not None:
            self._git_credentials(config, stack, git_credentials)
        self.parameters = self._publish(config)
        self._acknowledge()

    def _argocd(self, config: EksPlatformConfig, stack: Stack) -> None:
        """Argo CD, and one AppProject per team: the only projects services' Applications may name."""
        self.argocd = self.cluster.add_helm_chart(
            "ArgoCd",
            chart="argo-cd",
            repository="https://argoproj.github.io/argo-helm",
            version=ARGOCD_CHART_VERSION,
            namespace=ARGOCD_NAMESPACE,
            release="argocd",
            create_namespace=True,
            # No Dex: people sign in through the portal's identity provider when configured.
            values={"dex": {"enabled": False}},
            wait=True,
            # Several Deployments and CRDs: more than the 5-minute default on a fresh cluster.
            timeout=Duration.minutes(10),
        )
        self.argocd.node.add_dependency(self.nodegroup)
        self.argocd_projects = self.cluster.add_manifest("ArgoCdProjects", *(argocd_project(team, config.git_url_prefix) for team in config.teams))
        self.argocd_projects.node.add_dependency(self.argocd)

    def _git_credentials(self, config: EksPlatformConfig, stack: Stack, secret: secretsmanager.ISecret) -> None:
        """External Secrets Operator (Pod Identity role reading this one secret) fills Argo CD's credential template."""
        role = iam.Role(
            self,
            "ExternalSecretsRole",
            description=f"External Secrets Operator of EKS cluster {config.cluster_name}: reads the Git credentials for Argo CD",
            assumed_by=pod_identity_principal(),
        )
        secret.grant_read(role)
        association = eks.CfnPodIdentityAssociation(
            self,
            "ExternalSecretsPodIdentity",
            cluster_name=self.cluster.cluster_name,
            namespace=EXTERNAL_SECRETS_NAMESPACE,
            service_account=EXTERNAL_SECRETS_SERVICE_ACCOUNT,
            role_arn=role.role_arn,
        )
        association.add_resource_dependency(self.pod_identity_agent)
        self.external_secrets = self.cluster.add_helm_chart(
            "ExternalSecrets",
            chart="external-secrets",
            repository="https://charts.external-secrets.io",
            version=EXTERNAL_SECRETS_VERSION,
            namespace=EXTERNAL_SECRETS_NAMESPACE,
            release="external-secrets",
            create_namespace=True,
            values={"serviceAccount": {"name": EXTERNAL_SECRETS_SERVICE_ACCOUNT}, "extraEnv": [{"name": "AWS_REGION", "value": stack.region}]},
            wait=True,
        )
        self.external_secrets.node.add_dependency(association)
        self.external_secrets.node.add_dependency(self.nodegroup)
        store = "stagelift-secrets-manager"
        objects = self.cluster.add_manifest(
            "GitCredentials",
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "SecretStore",
                "metadata": {"name": store, "namespace": ARGOCD_NAMESPACE},
                "spec": {"provider": {"aws": {"service": "SecretsManager", "region": stack.region}}},
            },
            {
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "metadata": {"name": REPOSITORY_CREDENTIALS_SECRET, "namespace": ARGOCD_NAMESPACE},
                "spec": {
                    "refreshInterval": "1h",
                    "secretStoreRef": {"name": store, "kind": "SecretStore"},
                    "target": {
                        "name": REPOSITORY_CREDENTIALS_SECRET,
                        "template": {
                            "engineVersion": "v2",
                            # repo-creds: a credential template Argo CD applies to every repository under the URL.
                            "metadata": {"labels": {"argocd.argoproj.io/secret-type": "repo-creds"}},
                            "data": {"type": "git", "url": config.git_url_prefix, "username": "{{ .username }}", "password": "{{ .password }}"},
                        },
                    },
                    "dataFrom": [{"extract": {"key": secret.secret_arn}}],
                },
            },
        )
        objects.node.add_dependency(self.external_secrets)
        objects.node.add_dependency(self.argocd)

    def _publish(self, config: EksPlatformConfig) -> dict[EksParameter, ssm.StringParameter | ssm.StringListParameter]:
        """SSM parameters a service stack reads at deploy time (see ``stagelift.parameters``)."""
        vpc = self.vpc
        data = vpc.isolated_subnets or vpc.private_subnets
        provider = self.cluster.kubectl_provider
        assert provider is not None  # created above (kubectl_provider_options)
        strings: dict[EksParameter, str] = {
            EksParameter.VPC_ID: vpc.vpc_id,
            EksParameter.CLUSTER_SECURITY_GROUP_ID: self.cluster.cluster_security_group_id,
            EksParameter.KUBECTL_SERVICE_TOKEN: provider.service_token,
            EksParameter.OIDC_PROVIDER_ARN: self.oidc_provider.open_id_connect_provider_arn,
            EksParameter.OIDC_ISSUER: self.oidc_provider.open_id_connect_provider_issuer,
            EksParameter.NODE_ARCHITECTURE: config.architecture,
            EksParameter.KEDA_OPERATOR_ROLE_ARN: self.keda_operator_role.role_arn if self.keda_operator_role else NONE,
        }
        lists: dict[EksParameter, list[str]] = {
            EksParameter.AVAILABILITY_ZONES: [s.availability_zone for s in vpc.private_subnets],
            EksParameter.PRIVATE_SUBNET_IDS: [s.subnet_id for s in vpc.private_subnets],
            EksParameter.DATA_SUBNET_IDS: [s.subnet_id for s in data],
        }
        published: dict[EksParameter, ssm.StringParameter | ssm.StringListParameter] = {}
        for key, value in strings.items():
            published[key] = ssm.StringParameter(self, f"Parameter-{key.value}", parameter_name=eks_parameter(config.environment, config.cluster_name, key), string_value=value)
        for key, values in lists.items():
            published[key] = ssm.StringListParameter(
                self, f"Parameter-{key.value}", parameter_name=eks_parameter(config.environment, config.cluster_name, key), string_list_value=values
            )
        return published

    def _acknowledge(self) -> None:
        """Accepted cdk-nag findings on the resources aws_eks_v2 creates, each with its reason."""
        acknowledge(
            self.cluster.role,
            managed_policy_finding("AmazonEKSClusterPolicy"),
            "The EKS control-plane role must carry the AWS managed AmazonEKSClusterPolicy; EKS documents no customer-managed alternative.",
        )
        for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"):
            acknowledge(
                self.nodegroup.role,
                managed_policy_finding(policy),
                "Managed node group workers need the AWS managed worker-node, CNI and ECR read-only policies, kept current by AWS.",
            )
        # Generated by aws_eks_v2: each finding is acknowledged on the resource it is found on
        # (acknowledge_rules), with reasons written for the function each subtree holds.
        kubectl = self.cluster.node.try_find_child("KubectlProvider")
        if kubectl is not None:
            acknowledge_rules(
                kubectl.node.find_child("Handler"),
                {
                    "AwsSolutions-IAM4": "The kubectl handler Lambda of aws_eks_v2 carries the AWS managed Lambda basic and VPC execution policies (its logs, its ENIs in the cluster VPC) and the ECR read-only policies (private and, where the partition has it, public) to pull Helm OCI charts.",
                    "AwsSolutions-L1": "The kubectl handler pins the Lambda runtime its kubectl/Helm layer was built and tested for by aws_eks_v2; it moves with aws-cdk-lib upgrades.",
                },
            )
            acknowledge_rules(
                kubectl.node.find_child("Provider"),
                {
                    "AwsSolutions-IAM4": "The provider framework function in front of the kubectl handler carries the AWS managed Lambda basic and VPC execution policies: its own logs and ENIs in the cluster VPC.",
                    "AwsSolutions-IAM5": "The provider framework of the aws_eks_v2 kubectl handler may invoke any version of that one handler (function:name:*), a policy aws-cdk-lib generates.",
                    "AwsSolutions-L1": "The provider framework function picks the Node.js runtime aws-cdk-lib ships it with; it only relays CloudFormation events to the kubectl handler.",
                },
            )
        if self.alb_controller is not None:
            acknowledge_rules(
                # The controller's IRSA role (service account alb-sa): its policy is the one with findings.
                self.alb_controller.node.find_child("alb-sa").node.find_child("Role"),
                {
                    "AwsSolutions-IAM5": "The AWS Load Balancer Controller policy is the one the controller project publishes: the load balancers, listeners and target groups it creates have unknown ARNs and are scoped by elbv2.k8s.aws/cluster tag conditions.",
                },
            )


def managed_policy_finding(name: str, prefix: str = "") -> str:
    """cdk-nag's finding id for an AWS managed policy attached to a role."""
    return f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{prefix}{name}]"


def argocd_project(team: str, git_url_prefix: str) -> dict[str, object]:
    """The Argo CD AppProject of one team: its repositories, any non-system namespace, nothing cluster-scoped."""
    name = team_name(team)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": ARGOCD_NAMESPACE, "labels": {"app.kubernetes.io/managed-by": "stagelift"}},
        "spec": {
            "description": f"Services of team {name}",
            "sourceRepos": [f"{git_url_prefix}*"],
            # Deny rules ("!") win over the allow rule, whatever their order.
            "destinations": [{"server": IN_CLUSTER, "namespace": f"!{ns}"} for ns in SYSTEM_NAMESPACES] + [{"server": IN_CLUSTER, "namespace": "*"}],
            # Namespaces (with their Pod Security labels) are created by the service's stack, not from Git.
            "clusterResourceWhitelist": [],
            "namespaceResourceBlacklist": [{"group": "", "kind": "ResourceQuota"}, {"group": "", "kind": "LimitRange"}],
        },
    }


def pod_identity_principal() -> iam.IPrincipal:
    """Trust for EKS Pod Identity: ``pods.eks.amazonaws.com`` may assume the role and tag the session."""
    return iam.SessionTagsPrincipal(iam.ServicePrincipal("pods.eks.amazonaws.com"))


class Karpenter(Construct):
    """The AWS side of Karpenter for one cluster, its Helm chart, and a default NodePool.

    Attributes: ``node_role``, ``instance_profile``, ``interruption_queue``, ``controller_role``,
    ``chart``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: eks.Cluster,
        config: EksPlatformConfig,
        subnets: Sequence[ec2.ISubnet],
        pod_identity_agent: eks.CfnAddon,
        version: str = KARPENTER_VERSION,
    ) -> None:
        """
        :param cluster: the cluster Karpenter provisions nodes for.
        :param config: platform options (instance types, max_nodes, environment-free).
        :param subnets: private subnets new nodes are placed in.
        :param pod_identity_agent: the add-on the controller's Pod Identity association needs.
        :param version: Karpenter chart version; default ``KARPENTER_VERSION``.
        """
        super().__init__(scope, id)
        stack = Stack.of(self)
        name = config.cluster_name

        self.node_role = iam.Role(
            self,
            "NodeRole",
            description=f"Nodes Karpenter launches for EKS cluster {name}",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(p)
                for p in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore")
            ],
        )
        for managed in ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore"):
            acknowledge(
                self.node_role,
                managed_policy_finding(managed),
                "Karpenter nodes need the AWS managed EKS worker, CNI, ECR pull and SSM core policies, exactly as Karpenter's reference set-up.",
            )
        self.instance_profile = iam.CfnInstanceProfile(self, "InstanceProfile", roles=[self.node_role.role_name])
        # Nodes join the cluster through an EC2_LINUX access entry (no aws-auth ConfigMap).
        self.access_entry = eks.AccessEntry(
            self,
            "NodeAccessEntry",
            cluster=cluster,
            principal=self.node_role.role_arn,
            access_entry_type=eks.AccessEntryType.EC2_LINUX,
            access_policies=[],
        )

        self.interruption_queue = sqs.Queue(
            self,
            "InterruptionQueue",
            retention_period=Duration.minutes(5),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        acknowledge(
            self.interruption_queue,
            "AwsSolutions-SQS3",
            "Interruption events are advisory and expire after 5 minutes; a dead-letter queue would only hold stale notices.",
        )
        for rule_id, source, detail_type in (
            ("HealthEvents", "aws.health", "AWS Health Event"),
            ("SpotInterruptions", "aws.ec2", "EC2 Spot Instance Interruption Warning"),
            ("RebalanceRecommendations", "aws.ec2", "EC2 Instance Rebalance Recommendation"),
            ("InstanceStateChanges", "aws.ec2", "EC2 Instance State-change Notification"),
        ):
            events.Rule(
                self,
                rule_id,
                event_pattern=events.EventPattern(source=[source], detail_type=[detail_type]),
                targets=[targets.SqsQueue(self.interruption_queue)],
            )

        self.controller_role = iam.Role(
            self,
            "ControllerRole",
            description=f"Karpenter controller of EKS cluster {name}",
            assumed_by=pod_identity_principal(),
        )
        self._controller_policy(stack, cluster, name)
        association = eks.CfnPodIdentityAssociation(
            self,
            "ControllerPodIdentity",
            cluster_name=cluster.cluster_name,
            namespace=KARPENTER_NAMESPACE,
            service_account=KARPENTER_SERVICE_ACCOUNT,
            role_arn=self.controller_role.role_arn,
        )
        association.add_resource_dependency(pod_identity_agent)

        self.chart = cluster.add_helm_chart(
            "Chart",
            chart="karpenter",
            repository="oci://public.ecr.aws/karpenter/karpenter",
            version=version,
            namespace=KARPENTER_NAMESPACE,
            release="karpenter",
            create_namespace=False,
            values={
                "serviceAccount": {"name": KARPENTER_SERVICE_ACCOUNT},
                "settings": {"clusterName": cluster.cluster_name, "interruptionQueue": self.interruption_queue.queue_name},
                "controller": {
                    "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                    # IMDS is closed to pods: the region comes from the environment.
                    "env": [{"name": "AWS_REGION", "value": stack.region}],
                },
            },
            wait=True,
        )
        self.chart.node.add_dependency(association)

        arch = config.architecture
        cpu_limit = config.max_nodes * config.max_vcpus
        self.node_pool = cluster.add_manifest(
            "NodePool",
            {
                "apiVersion": "karpenter.k8s.aws/v1",
                "kind": "EC2NodeClass",
                "metadata": {"name": "default"},
                "spec": {
                    "amiSelectorTerms": [{"alias": "al2023@latest"}],
                    "instanceProfile": self.instance_profile.ref,
                    "subnetSelectorTerms": [{"id": s.subnet_id} for s in subnets],
                    "securityGroupSelectorTerms": [{"id": cluster.cluster_security_group_id}],
                    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
                    "blockDeviceMappings": [
                        {"deviceName": "/dev/xvda", "ebs": {"volumeSize": "50Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}}
                    ],
                },
            },
            {
                "apiVersion": "karpenter.sh/v1",
                "kind": "NodePool",
                "metadata": {"name": "default"},
                "spec": {
                    "template": {
                        "spec": {
                            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
                            "requirements": [
                                {"key": "kubernetes.io/arch", "operator": "In", "values": [arch]},
                                {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(config.instance_types)},
                                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["on-demand"]},
                            ],
                            "expireAfter": "720h",
                        }
                    },
                    # config.max_nodes nodes of the largest allowed type.
                    "limits": {"cpu": str(cpu_limit)},
                    "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "1m"},
                },
            },
        )
        self.node_pool.node.add_dependency(self.chart)
        self.node_pool.node.add_dependency(self.access_entry)

    def _controller_policy(self, stack: Stack, cluster: eks.Cluster, name: str) -> None:
        region, partition = stack.region, stack.partition
        ec2_arn = f"arn:{partition}:ec2:{region}:*"
        owned = {f"aws:RequestTag/kubernetes.io/cluster/{name}": "owned", "aws:RequestTag/eks:eks-cluster-name": name}
        policy = iam.Policy(
            self,
            "ControllerPolicy",
            statements=[
                iam.PolicyStatement(
                    sid="AllowScopedEC2InstanceAccessActions",
                    actions=["ec2:RunInstances", "ec2:CreateFleet"],
                    resources=[
                        f"arn:{partition}:ec2:{region}::image/*",
                        f"arn:{partition}:ec2:{region}::snapshot/*",
                        f"{ec2_arn}:security-group/*",
                        f"{ec2_arn}:subnet/*",
                        f"{ec2_arn}:capacity-reservation/*",
                    ],
                ),
                iam.PolicyStatement(
                    sid="AllowScopedEC2LaunchTemplateAccessActions",
                    actions=["ec2:RunInstances", "ec2:CreateFleet"],
                    resources=[f"{ec2_arn}:launch-template/*"],
                    conditions={
                        "StringEquals": {f"aws:ResourceTag/kubernetes.io/cluster/{name}": "owned"},
                        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                    },
                ),
                iam.PolicyStatement(
                    sid="AllowScopedEC2InstanceActionsWithTags",
                    actions=["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                    resources=[f"{ec2_arn}:{kind}/*" for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")],
                    conditions={"StringEquals": owned, "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
                ),
                iam.PolicyStatement(
                    sid="AllowScopedResourceCreationTagging",
                    actions=["ec2:CreateTags"],
                    resources=[f"{ec2_arn}:{kind}/*" for kind in ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")],
                    conditions={
                        "StringEquals": {**owned, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                        "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
                    },
                ),
                iam.PolicyStatement(
                    sid="AllowScopedResourceTagging",
                    actions=["ec2:CreateTags"],
                    resources=[f"{ec2_arn}:instance/*"],
                    conditions={
                        "StringEquals": {f"aws:ResourceTag/kubernetes.io/cluster/{name}": "owned"},
                        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                        "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]},
                    },
                ),
                iam.PolicyStatement(
                    sid="AllowScopedDeletion",
                    actions=["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                    resources=[f"{ec2_arn}:instance/*", f"{ec2_arn}:launch-template/*"],
                    conditions={
                        "StringEquals": {f"aws:ResourceTag/kubernetes.io/cluster/{name}": "owned"},
                        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                    },
                ),
                iam.PolicyStatement(
                    sid="AllowRegionalReadActions",
                    actions=[
                        "ec2:DescribeCapacityReservations",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstances",
                        "ec2:DescribeInstanceTypeOfferings",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplates",
                        "ec2:DescribeSecurityGroups",
                        "ec2:DescribeSpotPriceHistory",
                        "ec2:DescribeSubnets",
                    ],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:RequestedRegion": region}},
                ),
                iam.PolicyStatement(
                    sid="AllowSSMReadActions",
                    actions=["ssm:GetParameter"],
                    resources=[f"arn:{partition}:ssm:{region}::parameter/aws/service/*"],
                ),
                iam.PolicyStatement(sid="AllowPricingReadActions", actions=["pricing:GetProducts"], resources=["*"]),
                iam.PolicyStatement(
                    sid="AllowInterruptionQueueActions",
                    actions=["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                    resources=[self.interruption_queue.queue_arn],
                ),
                iam.PolicyStatement(
                    sid="AllowPassingInstanceRole",
                    actions=["iam:PassRole"],
                    resources=[self.node_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="AllowInstanceProfileReadActions",
                    actions=["iam:GetInstanceProfile"],
                    resources=[self.instance_profile.attr_arn],
                ),
                iam.PolicyStatement(sid="AllowAPIServerEndpointDiscovery", actions=["eks:DescribeCluster"], resources=[cluster.cluster_arn]),
            ],
        )
        policy.attach_to_role(self.controller_role)
        acknowledge_rules(
            policy,
            {
                "AwsSolutions-IAM5": "Karpenter's published controller policy: the instances, fleets, volumes, ENIs and launch templates it creates have unknown ids (wildcards limited by cluster-ownership tag conditions); RunInstances/CreateFleet need the region's images, snapshots, subnets, security groups and capacity reservations; Describe* and pricing:GetProducts have no resource scope (Describe* limited to the region); the SSM reads are the public /aws/service/ AMI parameters.",
            },
        )


class EksPlatformImport(Construct):
    """An ``EksPlatform`` as one service's stack in another repository sees it: read from SSM.

    Every value is a CloudFormation parameter of type ``AWS::SSM::Parameter::Value<String>``
    (``ssm.StringParameter.value_for_string_parameter``), resolved when the service's stack is
    deployed: synthesis needs no AWS access, and nobody copies identifiers from stack outputs.
    The names follow ``stagelift.parameters`` (``/stagelift/<config.environment>/eks/<cluster>/``).
    Only what ``config`` uses is read (a template parameter nothing references is a cfn-lint
    warning): the VPC only with a data store or Kafka, the OIDC provider only with IRSA, the
    KEDA operator role only with KEDA.

    The VPC is imported with the first ``availability_zones`` subnets of the platform's lists (two
    by default, the fewest a platform has): enough for Aurora, ElastiCache and MSK Serverless,
    which need subnets in two zones. Their zone names are not read (nothing in the service's
    template uses them); the subnets' ``availability_zone`` is ``Fn::GetAZs`` order, informational.

    Attributes: ``cluster`` (with the platform's kubectl handler), ``vpc`` (None without stores),
    ``oidc_issuer`` (None without IRSA), ``node_architecture``, ``keda_operator_role`` (None
    without KEDA).
    """

    def __init__(self, scope: Construct, id: str, *, config: EksServiceConfig, cluster_name: str, availability_zones: int = 2) -> None:
        """
        :param config: the service's configuration: its environment picks the parameters' path,
            its options what is read.
        :param cluster_name: the platform's cluster name (``EksPlatformConfig.cluster_name``).
        :param availability_zones: how many of the platform's subnets of each kind to use (2-6); default 2.
        """
        super().__init__(scope, id)
        if not 2 <= availability_zones <= 6:
            raise ValueError(f"availability_zones = {availability_zones}: expected 2-6 (every platform spans at least 2)")

        def value(key: EksParameter) -> str:
            return ssm.StringParameter.value_for_string_parameter(self, eks_parameter(config.environment, cluster_name, key))

        def values(key: EksParameter) -> list[str]:
            return Fn.split(",", value(key), availability_zones)

        self.vpc: ec2.IVpc | None = None
        security_group: str | None = None
        if config.enable_database or config.enable_redis or config.enable_kafka:
            data = config.enable_database or config.enable_redis
            self.vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                vpc_id=value(EksParameter.VPC_ID),
                availability_zones=[Fn.select(i, Fn.get_azs()) for i in range(availability_zones)],
                private_subnet_ids=values(EksParameter.PRIVATE_SUBNET_IDS) if config.enable_kafka else None,
                isolated_subnet_ids=values(EksParameter.DATA_SUBNET_IDS) if data else None,
            )
            for subnet in [*self.vpc.private_subnets, *self.vpc.isolated_subnets]:
                # Services never route: data stores only take the subnets' ids.
                Annotations.of(subnet).acknowledge_warning("@aws-cdk/aws-ec2:noSubnetRouteTableId", "Route tables are the platform's; a service only places data stores in these subnets.")
            security_group = value(EksParameter.CLUSTER_SECURITY_GROUP_ID)
        self.oidc_issuer: str | None = None
        oidc_provider: iam.IOpenIdConnectProvider | None = None
        if config.pod_identity == "irsa":
            self.oidc_issuer = value(EksParameter.OIDC_ISSUER)
            oidc_provider = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(self, "OidcProvider", value(EksParameter.OIDC_PROVIDER_ARN))
        self.node_architecture: str = value(EksParameter.NODE_ARCHITECTURE)
        self.cluster: eks.ICluster = eks.Cluster.from_cluster_attributes(
            self,
            "Cluster",
            cluster_name=cluster_name,
            vpc=self.vpc,
            cluster_security_group_id=security_group,
            kubectl_provider=eks.KubectlProvider.from_kubectl_provider_attributes(self, "KubectlProvider", service_token=value(EksParameter.KUBECTL_SERVICE_TOKEN)),
            open_id_connect_provider=oidc_provider,
        )
        self.keda_operator_role: iam.IRole | None = None
        if config.enable_keda:
            self.keda_operator_role = iam.Role.from_role_arn(self, "KedaOperatorRole", value(EksParameter.KEDA_OPERATOR_ROLE_ARN), mutable=True)
