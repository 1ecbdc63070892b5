"""Shared pydantic base and value rules used by every configuration model."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class StageliftModel(BaseModel):
    """Frozen, strict-keyed model whose keys are written camelCase in CDK context and JSON.

    Unknown keys are refused so that a typo (``desiredCont``) is an error, not a silent default.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )


# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip


def _check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"CloudWatch Logs keeps logs for one of {allowed} days")
    return days


LogRetentionDays = Annotated[int, AfterValidator(_check_retention)]

# Fargate task sizes: CPU units -> allowed memory (MiB), as documented for ECS task definitions.
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def check_fargate_size(cpu: int, memory_mib: int, cpu_key: str, memory_key: str) -> None:
    """Raise a ValueError naming both keys when Fargate would refuse the pair."""
    if cpu not in FARGATE_MEMORY_BY_CPU:
        allowed = ", ".join(str(c) for c in FARGATE_MEMORY_BY_CPU)
        raise ValueError(f"{cpu_key} = {cpu}: Fargate accepts CPU units {allowed}")
    memories = FARGATE_MEMORY_BY_CPU[cpu]
    if memory_mib not in memories:
        steps = {b - a for a, b in zip(memories, memories[1:])}
        allowed = (
            f"{memories[0]}-{memories[-1]} MiB in steps of {steps.pop()} MiB"
            if len(steps) == 1
            else ", ".join(str(m) for m in memories) + " MiB"
        )
        raise ValueError(f"{memory_key} = {memory_mib} with {cpu_key} = {cpu}: Fargate accepts {allowed} for {cpu} CPU units")


# A name used for AWS resources, DNS labels, Kubernetes objects and Backstage entities alike:
# the strictest of those rules (lowercase DNS label, Backstage allows 63 characters).
SERVICE_NAME_PATTERN = r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$"
ServiceName = Annotated[
    str,
    Field(
        pattern=SERVICE_NAME_PATTERN,
        description="Lowercase letters, digits and hyphens, 3-40 characters, starting with a letter",
    ),
]

# Backstage entity reference to a Group/User, e.g. "platform-team" or "group:default/payments".
OWNER_PATTERN = r"^((group|user):)?([a-z0-9][a-z0-9-]*/)?[A-Za-z0-9][-A-Za-z0-9_.]{0,61}[A-Za-z0-9]$"
Owner = Annotated[
    str,
    Field(pattern=OWNER_PATTERN, description="Backstage owner reference, e.g. platform-team or group:default/payments"),
]

# Backstage reference to a System: the short name the CLI asks for ("developer-portal") or the
# full reference the portal's EntityPicker sends ("system:default/developer-portal"); the
# catalog reads either in spec.system.
SYSTEM_PATTERN = r"^(system:)?([a-z0-9][a-z0-9-]*/)?[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$"
SystemRef = Annotated[
    str,
    Field(pattern=SYSTEM_PATTERN),
]

DOMAIN_NAME_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
HOSTED_ZONE_ID_PATTERN = r"^Z[A-Z0-9]{1,31}$"
AWS_ACCOUNT_PATTERN = r"^[0-9]{12}$"
AWS_REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"
ACM_CERTIFICATE_ARN_PATTERN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"


def is_subdomain_of(domain: str, zone: str) -> bool:
    zone = zone.rstrip(".")
    return domain == zone or domain.endswith("." + zone)


def slug(text: str) -> str:
    """Lowercase, hyphen-separated form of free text (for tags and names)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# Where a Fargate or EKS service runs: "standalone" (its own VPC, cluster and load balancer, for
# sandboxes) or the name of a service environment (stagelift/config/service_environment.py) whose
# shared load balancer, cluster and VPC it joins, read from SSM at deploy time.
STANDALONE = "standalone"
SERVICE_ENVIRONMENT_FIELD = Field(
    default=STANDALONE,
    pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$",
    description="Service environment to attach to (its shared HTTPS load balancer, cluster and VPC), e.g. shared; "
    "standalone = the service's own VPC, cluster and load balancer",
)
