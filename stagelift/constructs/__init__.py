"""CDK constructs: the Backstage portal, the three service tiers and their shared building blocks.

Each name is imported from its module on first use (PEP 562), so ``from stagelift.constructs
import LambdaService`` loads neither the EKS modules (and the ``eks`` extra they need) nor the
aws-cdk-lib modules only other tiers use: start-up time is part of every ``cdk synth``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_MODULES = {
    "AlarmTopic": "alarms",
    "DynamoTable": "data_stores",
    "PostgresDatabase": "data_stores",
    "QueueWithDeadLetter": "data_stores",
    "RedisCache": "data_stores",
    "EksPlatform": "eks_platform",
    "EksPlatformImport": "eks_platform",
    "EndpointIds": "https_endpoint",
    "HttpsEndpoint": "https_endpoint",
    "EksService": "eks_service",
    "FargateService": "fargate_service",
    "LambdaService": "lambda_service",
    "acknowledge": "nag",
    "ServiceNetwork": "network",
    "SecureBucket": "secure_bucket",
    "ServiceEnvironment": "service_environment",
    "ServiceEnvironmentImport": "service_environment_import",
    "ServiceRoute": "service_route",
    "WeightedTarget": "service_route",
    "listener_priority": "service_route",
    "TieredService": "tiered_service",
    "tag_service": "tagging",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES})


if TYPE_CHECKING:
    from .alarms import AlarmTopic
    from .data_stores import DynamoTable, PostgresDatabase, QueueWithDeadLetter, RedisCache
    from .eks_platform import EksPlatform, EksPlatformImport
    from .eks_service import EksService
    from .fargate_service import FargateService
    from .https_endpoint import EndpointIds, HttpsEndpoint
    from .lambda_service import LambdaService
    from .nag import acknowledge
    from .network import ServiceNetwork
    from .secure_bucket import SecureBucket
    from .service_environment import ServiceEnvironment
    from .service_environment_import import ServiceEnvironmentImport
    from .service_route import ServiceRoute, WeightedTarget, listener_priority
    from .tiered_service import TieredService
    from .tagging import tag_service
