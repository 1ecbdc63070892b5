"""CDK constructs: the Backstage portal, the three service tiers and their shared building blocks."""

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
from .tagging import tag_service

__all__ = [
    "AlarmTopic",
    "DynamoTable",
    "EksPlatform",
    "EksPlatformImport",
    "EksService",
    "EndpointIds",
    "FargateService",
    "HttpsEndpoint",
    "LambdaService",
    "PostgresDatabase",
    "QueueWithDeadLetter",
    "RedisCache",
    "SecureBucket", "ServiceNetwork", "acknowledge", "tag_service"]
