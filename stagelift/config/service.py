"""Fields every service tier shares: who owns it, where it runs, how it is tagged."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import EMAIL_PATTERN, LogRetentionDays, Owner, ServiceName, StageliftModel, SystemRef

Tier = Literal["lambda", "fargate", "eks"]
# Stage numbers as the golden path names them (stage 1 Lambda, 2 Fargate, 3 EKS).
STAGE_BY_TIER: dict[str, int] = {"lambda": 1, "fargate": 2, "eks": 3}
ServiceEnvironment = Literal["development", "staging", "production"]
SES_IDENTITY_PATTERN = r"^([^@\s]+@)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


class ServiceConfig(StageliftModel):
    """Identity of a service; every tier's configuration starts with these fields."""

    service_name: ServiceName = Field(description="Service name: lowercase letters, digits and hyphens, 3-40 characters")
    owner: Owner = Field(default="platform-team", description="Backstage group that owns the service")
    system: SystemRef | None = Field(
        default=None,
        description="Backstage system the service belongs to (optional): a name or a full reference",
    )
    environment: ServiceEnvironment = Field(
        default="development",
        description="Deployment environment: production retains data and avoids Spot capacity",
    )
    log_retention_days: LogRetentionDays = Field(default=30, description="Log retention (days)")
    alarm_email: str | None = Field(default=None, pattern=EMAIL_PATTERN, description="Address subscribed to the service's alarm topic (optional)")

    @property
    def production(self) -> bool:
        return self.environment == "production"
