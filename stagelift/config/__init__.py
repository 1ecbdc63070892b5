"""Configuration models: the single source of truth for every value stagelift accepts.

Constructs take these models (or keyword arguments validated through them); the cookiecutter
questions and the Backstage Software Template parameters are generated from them too.
"""

from .base import FARGATE_MEMORY_BY_CPU, LOG_RETENTION_DAYS, StageliftModel
from .eks import EksPlatformConfig, EksServiceConfig
from .errors import ConfigError, validate
from .fargate_service import FargateServiceConfig
from .lambda_service import LambdaServiceConfig
from .migration import TierMigration
from .portal import CONTEXT_KEYS, ENVIRONMENTS, PROFILES, PortalConfig, load_portal_config
from .service_environment import ServiceEnvironmentConfig
from .service import STAGE_BY_TIER, ServiceConfig, Tier

__all__ = [
    "CONTEXT_KEYS",
    "ENVIRONMENTS",
    "FARGATE_MEMORY_BY_CPU",
    "LOG_RETENTION_DAYS",
    "PROFILES",
    "STAGE_BY_TIER",
    "ConfigError",
    "EksPlatformConfig",
    "EksServiceConfig",
    "FargateServiceConfig",
    "LambdaServiceConfig",
    "PortalConfig",
    "ServiceConfig",
    "ServiceEnvironmentConfig",
    "StageliftModel",
    "Tier",
    "TierMigration",
    "load_portal_config",
    "validate",
]
