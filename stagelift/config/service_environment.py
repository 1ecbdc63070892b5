"""A shared service environment: the VPC, ECS cluster and HTTPS load balancer services of one
environment attach to, deployed once per account, region and environment by the platform team."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from .base import DOMAIN_NAME_PATTERN, HOSTED_ZONE_ID_PATTERN, LogRetentionDays, StageliftModel, is_subdomain_of
from .eks import EksPlatformConfig
from .network import VpcCidr
from .service import ServiceEnvironment

# A DNS name is at most 253 characters; every service is "<service>.<domainName>" with a service
# name of up to 40 characters (config.base.ServiceName), so the domain keeps 41 for it.
MAX_DOMAIN_LENGTH = 253 - 41


class ServiceEnvironmentConfig(StageliftModel):
    """Options of ``ServiceEnvironment``; its SSM parameters live under
    ``/stagelift/<environment>/environment/<name>/``."""

    name: str = Field(default="shared", pattern=r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$", description="Environment name: services attach to it by this name (SSM path /stagelift/<environment>/environment/<name>/)")
    environment: ServiceEnvironment = Field(
        default="development", description="Environment of the services attaching here: production retains logs and turns on deletion protection"
    )
    domain_name: str = Field(pattern=DOMAIN_NAME_PATTERN, description="Domain of the services: service x is served at x.<domainName> (wildcard certificate *.<domainName>)")
    hosted_zone_id: str = Field(pattern=HOSTED_ZONE_ID_PATTERN, description="Route 53 hosted zone holding domainName: validates the wildcard certificate, holds the services' records")
    hosted_zone_name: str = Field(pattern=DOMAIN_NAME_PATTERN, description="That hosted zone's name: domainName itself or a parent of it, e.g. example.com")
    vpc_cidr: VpcCidr = Field(default="10.0.0.0/16", description="VPC CIDR block, /16 to /24")
    max_azs: int = Field(default=2, ge=2, le=3, description="Availability zones the VPC, load balancer and tasks span")
    nat_gateways: int = Field(default=1, ge=1, le=3, description="NAT gateways (one per AZ for zone-independent egress; 1 is cheapest)")
    waf: bool = Field(default=True, description="AWS WAF web ACL on the load balancer: AWS managed rule groups and a per-IP rate limit")
    waf_rate_limit: int = Field(default=10000, ge=10, le=2_000_000_000, description="Requests one IP address may send to all services together in 5 minutes before WAF blocks it")
    log_retention_days: LogRetentionDays = Field(default=90, description="Days the load balancer's access logs, WAF logs and flow logs are kept")
    eks: EksPlatformConfig | None = Field(default=None, description="EKS platform on the same VPC (optional): its clusterName, version, nodes ...; environment, maxAzs and natGateways come from the environment")

    @model_validator(mode="after")
    def _check_combinations(self) -> Self:
        if self.nat_gateways > self.max_azs:
            raise ValueError(f"natGateways = {self.nat_gateways} is above maxAzs = {self.max_azs}")
        if len(self.domain_name) > MAX_DOMAIN_LENGTH:
            raise ValueError(f"domainName = {self.domain_name!r} is {len(self.domain_name)} characters: at most {MAX_DOMAIN_LENGTH}, so <service>.<domainName> stays a valid DNS name")
        if not is_subdomain_of(self.domain_name, self.hosted_zone_name):
            raise ValueError(
                f"domainName = {self.domain_name!r} is not inside hostedZoneName = {self.hosted_zone_name!r}: the zone must be the domain itself or a parent of it"
            )
        if self.eks is not None:
            if "environment" in self.eks.model_fields_set and self.eks.environment != self.environment:
                raise ValueError(f"eks.environment = {self.eks.environment!r} differs from environment = {self.environment!r}: the platform serves this environment's services (leave eks.environment out)")
            for key in ("max_azs", "nat_gateways"):
                if key in self.eks.model_fields_set and getattr(self.eks, key) != getattr(self, key):
                    alias = EksPlatformConfig.model_fields[key].alias
                    raise ValueError(f"eks.{alias} = {getattr(self.eks, key)}: the platform runs in the environment's VPC, set {alias} = {getattr(self, key)} of the environment instead")
        return self

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def eks_config(self) -> EksPlatformConfig | None:
        """``eks`` with the environment's name and network sizes (what ``EksPlatform`` is built with)."""
        if self.eks is None:
            return None
        return self.eks.model_copy(update={"environment": self.environment, "max_azs": self.max_azs, "nat_gateways": self.nat_gateways})
