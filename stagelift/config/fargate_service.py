"""Stage 2: a containerized service on ECS Fargate and its supporting services."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from .base import (
    SERVICE_ENVIRONMENT_FIELD,
    STANDALONE,
    ACM_CERTIFICATE_ARN_PATTERN,
    DOMAIN_NAME_PATTERN,
    HOSTED_ZONE_ID_PATTERN,
    check_fargate_size,
    is_subdomain_of,
)
from .service import SES_IDENTITY_PATTERN, ServiceConfig

FargateDatabase = Literal["none", "postgres", "aurora-serverless"]


class FargateServiceConfig(ServiceConfig):
    """Options of ``FargateService``; also the questions of the fargate-service skeleton."""

    cpu: int = Field(default=512, description="Task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384)")
    memory_mib: int = Field(default=1024, description="Task memory (MiB), a size Fargate accepts for cpu")
    container_port: int = Field(default=8080, ge=1024, le=65535, description="Port the container listens on")
    health_check_path: str = Field(default="/healthz", pattern=r"^/[A-Za-z0-9/_.-]*$", description="HTTP health check path")
    desired_count: int = Field(default=2, ge=1, le=100, description="Tasks to run")
    min_capacity: int = Field(default=1, ge=1, le=100, description="Autoscaling floor")
    max_capacity: int = Field(default=10, ge=1, le=100, description="Autoscaling ceiling")
    fargate_spot: bool | None = Field(
        default=None, description="Run on Fargate Spot (unset = Spot outside production, on-demand in production)"
    )
    service_environment: str = SERVICE_ENVIRONMENT_FIELD
    domain_name: str | None = Field(default=None, pattern=DOMAIN_NAME_PATTERN, description="Service host name served over HTTPS (required in production; optional elsewhere: without it the load balancer serves plain HTTP)")
    hosted_zone_id: str | None = Field(default=None, pattern=HOSTED_ZONE_ID_PATTERN, description="Route 53 hosted zone id holding domainName: the stack issues a DNS-validated certificate and an alias record")
    hosted_zone_name: str | None = Field(default=None, pattern=DOMAIN_NAME_PATTERN, description="Route 53 hosted zone name, e.g. example.com")
    certificate_arn: str | None = Field(default=None, pattern=ACM_CERTIFICATE_ARN_PATTERN, description="Existing ACM certificate for domainName (instead of, or besides, a hosted zone)")
    database: FargateDatabase = Field(default="none", description="PostgreSQL: none, RDS postgres, or aurora-serverless (v2)")
    enable_redis: bool = Field(default=False, description="ElastiCache Redis (encrypted at rest and in transit, AUTH)")
    enable_messaging: bool = Field(default=False, description="SNS topic fanning out to an SQS queue with a dead-letter queue")
    enable_event_bus: bool = Field(default=False, description="EventBridge bus for the service's events")
    enable_efs: bool = Field(default=False, description="EFS file system mounted in the tasks (encrypted)")
    ses_sender_identity: str | None = Field(
        default=None, pattern=SES_IDENTITY_PATTERN, description="SES identity (domain or address) the tasks may send email from (optional)"
    )

    @property
    def use_spot(self) -> bool:
        return (not self.production) if self.fargate_spot is None else self.fargate_spot

    @property
    def https(self) -> bool:
        return self.domain_name is not None

    @property
    def attached(self) -> bool:
        """Behind a service environment's shared load balancer (domain fields unused: it serves <service>.<its domain>)."""
        return self.service_environment != STANDALONE

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        check_fargate_size(self.cpu, self.memory_mib, "cpu", "memoryMib")
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"minCapacity = {self.min_capacity} is above maxCapacity = {self.max_capacity}")
        if not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise ValueError(f"desiredCount = {self.desired_count} is outside minCapacity..maxCapacity = {self.min_capacity}..{self.max_capacity}")
        zone = (self.hosted_zone_id, self.hosted_zone_name)
        if any(zone) and not all(zone):
            raise ValueError("hostedZoneId and hostedZoneName go together")
        if self.domain_name is None and (any(zone) or self.certificate_arn):
            raise ValueError("hostedZoneId/hostedZoneName/certificateArn need domainName")
        if self.production and self.domain_name is None and not self.attached:
            raise ValueError(
                "environment = 'production' needs HTTPS: set domainName with hostedZoneId and hostedZoneName "
                "(the stack issues a DNS-validated certificate and an alias record) or domainName with certificateArn "
                "(an existing certificate); without them the load balancer would serve plain HTTP"
            )
        if self.domain_name is not None and not any(zone) and self.certificate_arn is None:
            raise ValueError("domainName needs hostedZoneId and hostedZoneName (DNS-validated certificate) or certificateArn")
        if self.domain_name and self.hosted_zone_name and not is_subdomain_of(self.domain_name, self.hosted_zone_name):
            raise ValueError(f"domainName = {self.domain_name!r} is not inside hostedZoneName = {self.hosted_zone_name!r}")
        return self
