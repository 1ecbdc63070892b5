"""The shared service environment: VPC, ECS cluster, one HTTPS load balancer, optional EKS platform."""

from __future__ import annotations

from .service_environment_import import ServiceEnvironmentImport

__all__ = ["ServiceEnvironmentImport"]
