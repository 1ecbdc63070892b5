"""Stage 3: the shared EKS platform and a service running on it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, Self, get_args

from pydantic import Field, field_validator, model_validator

from .base import OWNER_PATTERN, SERVICE_ENVIRONMENT_FIELD, STANDALONE, LogRetentionDays, StageliftModel
from .service import ServiceConfig, ServiceEnvironment

KubernetesVersion = Literal["1.34", "1.35", "1.36"]
NodeProvisioning = Literal["managed-node-group", "karpenter"]
IngressClass = Literal["alb", "nginx", "traefik"]
PodIdentityMode = Literal["pod-identity", "irsa"]
# Kubernetes' names for the processor architectures (label kubernetes.io/arch, image platform linux/<arch>).
Architecture = Literal["arm64", "amd64"]
ARCHITECTURES: tuple[str, ...] = get_args(Architecture)
INSTANCE_TYPES_FILE = Path(__file__).with_name("eks_instance_types.json")


@dataclass(frozen=True)
class InstanceTypeInfo:
    """Default vCPUs and architecture of an EC2 instance type, from ``eks_instance_types.json``."""

    name: str
    vcpus: int
    architecture: str


@cache
def instance_types() -> dict[str, InstanceTypeInfo]:
    """The instance types nodes may use (the table kept with its source and date in ``eks_instance_types.json``)."""
    table = json.loads(INSTANCE_TYPES_FILE.read_text())["instanceTypes"]
    return {name: InstanceTypeInfo(name, row["vcpus"], row["architecture"]) for name, row in table.items()}

CPU_QUANTITY_PATTERN = r"^([1-9][0-9]{0,4}m|[0-9]+(\.[0-9]{1,3})?)$"
MEMORY_QUANTITY_PATTERN = r"^[1-9][0-9]{0,5}(Mi|Gi)$"
NAMESPACE_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


def team_name(owner: str) -> str:
    """The Argo CD project of an owner: its Backstage entity name (``group:default/payments`` -> ``payments``),
    lowercased with ``_`` and ``.`` as ``-`` (a Kubernetes object name)."""
    name = owner.rsplit("/", 1)[-1].split(":", 1)[-1]
    return re.sub(r"[_.]", "-", name.lower())


def cpu_millicores(quantity: str) -> int:
    """Kubernetes CPU quantity ("250m", "1", "1.5") in millicores."""
    return int(quantity[:-1]) if quantity.endswith("m") else round(float(quantity) * 1000)


def memory_mib(quantity: str) -> int:
    """Kubernetes memory quantity ("256Mi", "1Gi") in MiB."""
    number, unit = re.fullmatch(r"([0-9]+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)


class EksPlatformConfig(StageliftModel):
    """Options of ``EksPlatform``: the cluster the platform team deploys once."""

    environment: ServiceEnvironment = Field(
        default="development", description="Environment whose services run on this cluster: names its SSM parameters /stagelift/<environment>/eks/<clusterName>/..."
    )
    cluster_name: str = Field(default="platform", pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$", description="EKS cluster name")
    kubernetes_version: KubernetesVersion = Field(default="1.36", description="Kubernetes version of the control plane (default: the newest EKS supports here)")
    node_provisioning: NodeProvisioning = Field(default="managed-node-group", description="managed-node-group or karpenter")
    instance_types: tuple[str, ...] = Field(
        default=("m7g.large",), min_length=1, description="Node instance types, all of one architecture (listed in stagelift/config/eks_instance_types.json)"
    )
    min_nodes: int = Field(default=2, ge=1, le=100, description="Minimum nodes (managed node group, or the Karpenter bootstrap group)")
    max_nodes: int = Field(default=6, ge=1, le=1000, description="Maximum nodes")
    enable_keda: bool = Field(default=False, description="Install KEDA for event-driven pod autoscaling")
    max_azs: int = Field(default=3, ge=2, le=6, description="Availability zones the VPC spans")
    nat_gateways: int = Field(default=1, ge=1, le=6, description="NAT gateways")
    log_retention_days: LogRetentionDays = Field(default=90, description="Control-plane log retention (days)")
    teams: tuple[str, ...] = Field(
        default=("platform-team",),
        min_length=1,
        description="Backstage groups running services here: each gets its own Argo CD AppProject",
    )
    git_url_prefix: str = Field(
        default="https://github.com/example-org/",
        pattern=r"^(https://|git@)[A-Za-z0-9.@:/_-]+/$",
        description="Git URL prefix of the service repositories Argo CD may sync (AppProject sourceRepos, repository credentials)",
    )

    @field_validator("instance_types")
    @classmethod
    def _known_instance_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = instance_types()
        unknown = [t for t in value if t not in known]
        if unknown:
            families = sorted({t.split(".")[0] for t in known})
            raise ValueError(
                f"{', '.join(repr(t) for t in unknown)}: not in stagelift/config/eks_instance_types.json (families {', '.join(families)}); add the type with its vCPUs and architecture there"
            )
        architectures = sorted({known[t].architecture for t in value})
        if len(architectures) > 1:
            raise ValueError(f"{', '.join(value)} mix architectures {' and '.join(architectures)}: one image runs on all nodes, pick types of one architecture")
        return value

    @field_validator("teams")
    @classmethod
    def _team_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in value if not re.fullmatch(OWNER_PATTERN, t)]
        if bad:
            raise ValueError(f"{', '.join(repr(t) for t in bad)}: expected Backstage owner references such as payments or group:default/payments")
        return tuple(dict.fromkeys(team_name(t) for t in value))

    @property
    def architecture(self) -> str:
        """The nodes' architecture (``arm64`` or ``amd64``): the one every instance type shares."""
        return instance_types()[self.instance_types[0]].architecture

    @property
    def max_vcpus(self) -> int:
        """vCPUs of the largest allowed instance type."""
        return max(instance_types()[t].vcpus for t in self.instance_types)

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        if self.min_nodes > self.max_nodes:
            raise ValueError(f"minNodes = {self.min_nodes} is above maxNodes = {self.max_nodes}")
        if self.nat_gateways > self.max_azs:
            raise ValueError(f"natGateways = {self.nat_gateways} is above maxAzs = {self.max_azs}")
        return self


class EksServiceConfig(ServiceConfig):
    """Options of ``EksService``; also the questions of the eks-service skeleton."""

    @property
    def attached(self) -> bool:
        """Behind a service environment's shared load balancer (TargetGroupBinding, no Ingress of its own)."""
        return self.service_environment != STANDALONE

    namespace: str | None = Field(default=None, pattern=NAMESPACE_PATTERN, description="Kubernetes namespace (unset = the service name)")
    service_environment: str = SERVICE_ENVIRONMENT_FIELD
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
    architecture: Architecture = Field(
        default="arm64", description="Processor architecture of the platform's nodes: the image is built for it and pods are pinned to it (arm64 = Graviton)"
    )
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

    @property
    def team(self) -> str:
        """The owner's Argo CD project (``EksPlatformConfig.teams`` creates one per team)."""
        return team_name(self.owner)

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
