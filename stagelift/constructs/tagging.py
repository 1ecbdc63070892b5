"""Tags that let the portal, cost reports and the AWS Backstage plugins find a service's resources."""

from __future__ import annotations

from aws_cdk import Tags
from constructs import IConstruct

# Tag keys are part of the public contract: catalog-info.yaml annotations
# (aws.amazon.com/amazon-ecs-service-tags, aws.amazon.com/cost-insights-tags) match on them.
SERVICE_TAG = "stagelift:service"
TIER_TAG = "stagelift:tier"
OWNER_TAG = "stagelift:owner"
ENVIRONMENT_TAG = "stagelift:environment"


def tag_service(scope: IConstruct, *, service: str, tier: str, owner: str, environment: str) -> None:
    """Tag every taggable resource under ``scope`` with the service's identity."""
    tags = Tags.of(scope)
    tags.add(SERVICE_TAG, service)
    tags.add(TIER_TAG, tier)
    tags.add(OWNER_TAG, owner)
    tags.add(ENVIRONMENT_TAG, environment)
