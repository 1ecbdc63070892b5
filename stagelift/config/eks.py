"""Stage 3: the shared EKS platform and a service running on it."""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, model_validator

from .base import LogRetentionDays, StageliftModel
from .service import ServiceConfig

KubernetesVersion = Literal["1.34", "1.35", "1.36"]
NodeProvisioning = Literal["managed-node-group", "karpenter"]
IngressClass = Literal["alb", "nginx", "traefik"]
PodIdentityMode = Literal["pod-identity", "irsa"]

CPU_QUANTITY_PATTERN = r"^([1-9][0-9]{0,4}m|[0-9]+(\.[0-9]{1,3})?)$"
MEMORY_QUANTITY_PATTERN = r"^[1-9][0-9]{0,5}(Mi|Gi)$"
NAMESPACE_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


def cpu_millicores(quantity: str) -> int:
    """Kubernetes CPU quantity ("250m", "1", "1.5") in millicores."""
    return int(quantity[:-1]) if quantity.endswith("m") else round(float(quantity) * 1000)


def memory_mib(quantity: str) -> int:
    """Kubernetes memory quantity ("256Mi", "1Gi") in MiB."""
    number, unit = re.fullmatch(r"([0-9]+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


class EksPlatformConfig(StageliftModel):
    """Options of ``EksPlatform``: the cluster the platform team deploys once."""

    cluster_name: str = Field(default="platform", pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$", description="EKS cluster name")
    kubernetes_version: KubernetesVersion = Field(default="1.36", description="Kubernetes version of the control plane (default: the newest EKS supports here)")
    node_provisioning: NodeProvisioning = Field(default="managed-node-group", description="managed-node-group or karpenter")
    instance_types: tuple[str, ...] = Field(default=("m7g.large",), min_length=1, description="Node instance types")
    min_nodes: int = Field(default=2, ge=1, le=100, description="Minimum nodes (managed node group, or the Karpenter bootstrap group)")
    max_nodes: int = Field(default=6, ge=1, le=1000, description="Maximum nodes")
    enable_keda: bool = Field(default=False, description="Install KEDA for event-driven pod autoscaling")
    max_azs: int = Field(default=3, ge=2, le=6, description="Availability zones the VPC spans")
    nat_gateways: int = Field(default=1, ge=1, le=6, description="NAT gateways")
    log_retention_days: LogRetentionDays = Field(default=90, description="Control-plane log retention (days)")

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        if self.min_nodes > self.max_nodes:
            raise ValueError(f"minNodes = {self.min_nodes} is above maxNodes = {self.max_nodes}")
        if self.nat_gateways > self.max_azs:
            raise ValueError(f"natGateways = {self.nat_gateways} is above maxAzs = {self.max_azs}")
        architectures = {"arm64" if re.match(r"^[a-z]+[0-9]+g[a-z]*\.", t) else "x86_64" for t in self.instance_types}
        if len(architectures) > 1:
            # A node group launches one AMI, so one architecture (CDK refuses the mix at synth).
            raise ValueError(f"instanceTypes = {list(self.instance_types)!r} mix Graviton (arm64) and x86_64 types: a node group runs one architecture")
        return self


class EksServiceConfig(ServiceConfig):
    """Options of ``EksService``; also the questions of the eks-service skeleton."""

    namespace: str | None = Field(default=None, pattern=NAMESPACE_PATTERN, description="Kubernetes namespace (unset = the service name)")
    replicas: int = Field(default=3, ge=1, le=100, description="Initial replica count")
    cpu_request: str = Field(default="250m", pattern=CPU_QUANTITY_PATTERN, description="CPU request, e.g. 250m")
    cpu_limit: str = Field(default="1000m", pattern=CPU_QUANTITY_PATTERN, description="CPU limit, e.g. 1000m")
    memory_request: str = Field(default="256Mi", pattern=MEMORY_QUANTITY_PATTERN, description="Memory request, e.g. 256Mi")
    memory_limit: str = Field(default="1Gi", pattern=MEMORY_QUANTITY_PATTERN, description="Memory limit, e.g. 1Gi")
    container_port: int = Field(default=8080, ge=1024, le=65535, description="Port the container listens on")
    health_check_path: str = Field(default="/healthz", pattern=r"^/[A-Za-z0-9/_.-]*$", description="HTTP liveness/readiness path")
    enable_hpa: bool = Field(default=True, description="HorizontalPodAutoscaler on CPU")
    min_replicas: int = Field(default=2, ge=1, le=100, description="Autoscaling floor")
    max_replicas: int = Field(default=20, ge=1, le=1000, description="Autoscaling ceiling")
    enable_keda: bool = Field(default=False, description="KEDA ScaledObject on the service's queue (needs the platform's KEDA)")
    ingress_class: IngressClass = Field(default="alb", description="Ingress class: alb (AWS Load Balancer Controller), nginx or traefik")
    host: str | None = Field(default=None, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", description="Ingress host name (optional)")
    pod_identity: PodIdentityMode = Field(default="pod-identity", description="How pods get AWS credentials: pod-identity or irsa")
    enable_database: bool = Field(default=False, description="Aurora PostgreSQL cluster")
    enable_redis: bool = Field(default=False, description="ElastiCache Redis (encrypted, AUTH)")
    enable_fifo_queue: bool = Field(default=False, description="SQS FIFO queue with a FIFO dead-letter queue")
    enable_topic: bool = Field(default=False, description="SNS topic for the service's events")
    enable_kafka: bool = Field(default=False, description="Amazon MSK Serverless cluster (IAM auth)")
    git_repo_url: str = Field(
        default="https://github.com/example-org/example-service.git",
        pattern=r"^(https://|git@)[A-Za-z0-9.@:/_-]+\.git$",
        description="Git repository Argo CD syncs the manifests from",
    )
    git_path: str = Field(default="k8s", pattern=r"^[A-Za-z0-9._/-]+$", description="Folder of the manifests in that repository")

    @property
    def k8s_namespace(self) -> str:
        return self.namespace or self.service_name

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        if cpu_millicores(self.cpu_request) > cpu_millicores(self.cpu_limit):
            raise ValueError(f"cpuRequest = {self.cpu_request!r} is above cpuLimit = {self.cpu_limit!r}")
        if memory_mib(self.memory_request) > memory_mib(self.memory_limit):
            raise ValueError(f"memoryRequest = {self.memory_request!r} is above memoryLimit = {self.memory_limit!r}")
        if self.min_replicas > self.max_replicas:
            raise ValueError(f"minReplicas = {self.min_replicas} is above maxReplicas = {self.max_replicas}")
        if self.enable_keda and not self.enable_fifo_queue:
            raise ValueError("enableKeda scales on the service's queue: it needs enableFifoQueue")
        return self
