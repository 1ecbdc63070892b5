"""CDK constructs: the Backstage portal, the three service tiers and their shared building blocks."""

from .alarms import AlarmTopic
from .data_stores import DynamoTable, PostgresDatabase, QueueWithDeadLetter, RedisCache
from .nag import acknowledge
from .network import ServiceNetwork
from .secure_bucket import SecureBucket
from .tagging import tag_service

__all__ = [
    "AlarmTopic",
    "DynamoTable",
    "PostgresDatabase",
    "QueueWithDeadLetter",
    "RedisCache",
    "SecureBucket", "ServiceNetwork", "acknowledge", "tag_service"]
