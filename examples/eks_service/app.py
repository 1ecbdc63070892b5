"""Stage 3 example: two EKS platforms and three services using every option of the tier once.

Run ``python examples/eks_service/app.py`` (set ``CDK_OUTDIR`` to choose the output folder) or
``cdk synth --app "python examples/eks_service/app.py"``. Synthesizes offline: no AWS
credentials, no lookups (explicit account and region; availability zones resolved by
CloudFormation at deploy time, ``DeployTimeZonesStack``).

``python examples/eks_service/app.py --write-manifests`` also re-renders the Kubernetes
manifests checked in under ``examples/eks_service/k8s/<service>/`` (the files Argo CD syncs; in
a service repository they live in its ``k8s/`` folder). A test keeps them up to date.

- ``EksPlatform``: managed node group of Graviton nodes, KEDA, Argo CD projects for two teams,
  Git credentials from Secrets Manager.
- ``EksPlatformKarpenter``: Karpenter, Kubernetes 1.36, x86 instance types, two AZs, API endpoint
  also reachable from one office CIDR, an admin role, one-year log retention, staging.
- ``EksOrders`` (on the first): EKS Pod Identity, SQS FIFO queue scaled by KEDA, ALB ingress with
  a host name, production.
- ``EksCatalog`` (on the first): IRSA, Aurora PostgreSQL, Redis, SNS topic, MSK Serverless,
  nginx ingress, CPU HorizontalPodAutoscaler.
- ``EksStatus`` (on the Karpenter platform): amd64 image, traefik ingress, fixed replica count.

Platform and services share an app here, so services take the platform's objects directly; a
service in its own repository reads them with ``EksPlatformImport`` (SSM parameters).
"""

from __future__ import annotations

import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import EksPlatformConfig, EksServiceConfig, validate
from stagelift.constructs import EksPlatform, EksService
from stagelift.kubernetes import write_manifests
from stagelift.zones import DeployTimeZonesStack

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = Path(__file__).resolve().parent / "k8s"
ENV = cdk.Environment(account="123456789012", region="eu-west-1")

# The same camelCase keys a platform repository's cdk.json / a service's Software Template provide.
PLATFORM = {
    "environment": "production",
    "clusterName": "platform",
    "enableKeda": True,
    "teams": ["platform-team", "group:default/payments"],
    "gitUrlPrefix": "https://github.com/example-org/",
}
KARPENTER_PLATFORM = {
    "environment": "staging",
    "clusterName": "platform-karpenter",
    "kubernetesVersion": "1.36",
    "nodeProvisioning": "karpenter",
    "instanceTypes": ["m7i.large", "m7i.xlarge"],
    "minNodes": 2,
    "maxNodes": 20,
    "maxAzs": 2,
    "natGateways": 2,
    "logRetentionDays": 365,
}
ORDERS = {
    "serviceName": "orders",
    "owner": "group:default/payments",
    "system": "checkout",
    "environment": "production",
    "namespace": "payments",
    "replicas": 3,
    "cpuRequest": "500m",
    "cpuLimit": "1",
    "memoryRequest": "512Mi",
    "memoryLimit": "1Gi",
    "containerPort": 8000,
    "healthCheckPath": "/health/ready",
    "minReplicas": 3,
    "maxReplicas": 30,
    "enableFifoQueue": True,
    "enableKeda": True,
    "ingressClass": "alb",
    "host": "orders.example.com",
    "podIdentity": "pod-identity",
    "gitRepoUrl": "https://github.com/example-org/orders.git",
    "gitPath": "k8s",
}
CATALOG = {
    "serviceName": "catalog",
    "environment": "staging",
    "logRetentionDays": 90,
    "alarmEmail": "catalog-oncall@example.com",
    "ingressClass": "nginx",
    "host": "catalog.example.com",
    "podIdentity": "irsa",
    "enableHpa": True,
    "enableDatabase": True,
    "enableRedis": True,
    "enableTopic": True,
    "enableKafka": True,
    "gitRepoUrl": "git@github.com:example-org/catalog.git",
}
# Standalone: these services share the example's own platforms, not a service environment's load balancer
# (an attached EKS service, with its TargetGroupBinding, is tested in tests/route).
STATUS = {"serviceName": "status", "environment": "staging", "architecture": "amd64", "ingressClass": "traefik", "enableHpa": False, "replicas": 2, "serviceEnvironment": "standalone"}


class EksPlatformStack(DeployTimeZonesStack):
    """One EKS platform and the command to reach its cluster."""

    def __init__(
        self, scope: cdk.App, id: str, *, config: EksPlatformConfig, public_endpoint_cidrs: list[str] | None = None, admin: bool = False, git_secret: str | None = None
    ) -> None:
        super().__init__(scope, id, env=ENV, description=f"stagelift example: EKS platform {config.cluster_name}", zone_count=config.max_azs)
        admin_role = iam.Role(self, "ClusterAdmin", assumed_by=iam.AccountRootPrincipal(), description="Platform team administrators") if admin else None
        # An existing secret {"username": ..., "password": <token>} the platform team created once.
        git_credentials = secretsmanager.Secret.from_secret_name_v2(self, "GitCredentials", git_secret) if git_secret else None
        self.platform = EksPlatform(
            self,
            "Platform",
            config=config,
            public_endpoint_cidrs=public_endpoint_cidrs,
            admin_role=admin_role,
            git_credentials=git_credentials,
        )
        cdk.CfnOutput(self, "ClusterName", value=self.platform.cluster.cluster_name)


class EksServiceStack(DeployTimeZonesStack):
    """One EksService on a platform, with its repository URI as an output."""

    def __init__(self, scope: cdk.App, id: str, *, config: EksServiceConfig, platform: EksPlatform) -> None:
        super().__init__(scope, id, env=ENV, description=f"stagelift example: EKS tier, {config.service_name}")
        self.service = EksService(
            self,
            "Service",
            config=config,
            cluster=platform.cluster,
            vpc=platform.vpc,
            keda_operator_role=platform.keda_operator_role if config.enable_keda else None,
            oidc_issuer=platform.oidc_issuer if config.pod_identity == "irsa" else None,
            node_architecture=platform.config.architecture,
        )
        cdk.CfnOutput(self, "RepositoryUri", value=self.service.repository.repository_uri)


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app with cdk.json feature flags and cdk-nag registered (findings fail synthesis)."""
    app = create_app(REPO_ROOT, outdir=outdir)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    platform = EksPlatformStack(app, "EksPlatform", config=validate(EksPlatformConfig, PLATFORM, "example"), git_secret="platform/argocd-git")
    karpenter_stack = EksPlatformStack(
        app,
        "EksPlatformKarpenter",
        config=validate(EksPlatformConfig, KARPENTER_PLATFORM, "example"),
        public_endpoint_cidrs=["203.0.113.0/24"],
        admin=True,
    )
    for id, values, on in (("EksOrders", ORDERS, platform), ("EksCatalog", CATALOG, platform), ("EksStatus", STATUS, karpenter_stack)):
        EksServiceStack(app, id, config=validate(EksServiceConfig, values, "example"), platform=on.platform)
    return app


def services(app: cdk.App) -> list[EksService]:
    """The EksService of every service stack in ``app``."""
    return [stack.service for stack in app.node.children if isinstance(stack, EksServiceStack)]


def write_example_manifests(app: cdk.App, folder: Path = K8S_DIR) -> list[Path]:
    """Render each service's manifests into ``folder/<service>/``."""
    return [path for service in services(app) for path in write_manifests(service.manifests, folder / service.config.service_name)]


if __name__ == "__main__":
    example = build_app()
    if "--write-manifests" in sys.argv[1:]:
        for written in write_example_manifests(example):
            print(written.relative_to(REPO_ROOT))
    example.synth()
