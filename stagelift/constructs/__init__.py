"""CDK constructs: the Backstage portal, the three service tiers and their shared building blocks."""

from .alarms import AlarmTopic
from .nag import acknowledge
from .network import ServiceNetwork
from .secure_bucket import SecureBucket
from .tagging import tag_service

__all__ = ["AlarmTopic", "SecureBucket", "ServiceNetwork", "acknowledge", "tag_service"]
