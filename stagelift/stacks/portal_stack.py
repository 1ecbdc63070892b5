"""The portal stack: one ``BackstagePortal`` and the outputs an operator needs after deploy."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment
from aws_cdk import aws_ecs as ecs
from constructs import Construct

from ..config.portal import PortalConfig
from ..constructs.portal import BackstagePortal
from ..constructs.portal.image import portal_image_asset
from ..zones import DeployTimeZonesStack


def portal_stack_name(config: PortalConfig) -> str:
    return f"{config.portal_name.capitalize()}Portal-{config.environment}"


class PortalStack(DeployTimeZonesStack):
    """Deploys the portal for one environment profile.

    Always bound to ``config.region``; bound to an account only when ``config.account`` is set.
    Its zones are resolved by CloudFormation at deploy time either way (no lookup, no guess).
    """

    def __init__(self, scope: Construct, id: str | None = None, *, config: PortalConfig) -> None:
        env = Environment(account=config.account, region=config.region)
        super().__init__(
            scope,
            id or portal_stack_name(config),
            env=env,
            description=f"Backstage developer portal ({config.environment}) - stagelift",
            termination_protection=config.production,
            zone_count=config.max_azs,
        )
        if config.production_overrides:
            # Weakened production safeguards and their reasons travel with the template.
            self.add_metadata("StageliftProductionOverrides", {k: {"value": v, "reason": config.production_overrides[k]} for k, v in config.weakened_safeguards().items()})
        image: ecs.ContainerImage | None = portal_image_asset(config.portal_app_path) if config.portal_app_path else None
        self.portal = BackstagePortal(self, "Portal", config=config, image=image)
        portal = self.portal
        CfnOutput(self, "PortalUrl", value=portal.url, description="Where the portal is served")
        CfnOutput(self, "LoadBalancerName", value=portal.edge.load_balancer.load_balancer_name, description="Application Load Balancer")
        CfnOutput(
            self,
            "LoadBalancerDnsName",
            value=portal.edge.load_balancer.load_balancer_dns_name,
            description="Point your DNS here when you brought your own certificate"
            if portal.edge.distribution is None
            else "Internal load balancer: reachable only through the CloudFront distribution",
        )
        if portal.edge.distribution is not None:
            CfnOutput(self, "DistributionId", value=portal.edge.distribution.distribution.distribution_id, description="CloudFront distribution serving the portal over HTTPS (no domain)")
        CfnOutput(self, "UserPoolId", value=portal.identity.user_pool.user_pool_id, description="Cognito user pool: add users to the admins/developers groups")
        CfnOutput(self, "CognitoDomain", value=portal.identity.domain.base_url(), description="Cognito hosted sign-in domain")
        CfnOutput(self, "EcrRepositoryUri", value=portal.service.repository.repository_uri, description="Push the portal image here, then deploy with -c imageTag=<tag>")
        CfnOutput(self, "ClusterName", value=portal.service.cluster.cluster_name, description="ECS cluster running the portal")
        CfnOutput(self, "ServiceName", value=portal.service.service.service_name, description="ECS service of the portal")
        CfnOutput(self, "TechDocsBucketName", value=portal.techdocs_bucket.bucket_name, description="TechDocs publisher bucket (techdocs-cli publish --publisher-type awsS3)")
        if portal.techdocs_publisher is not None:
            CfnOutput(
                self,
                "TechDocsPublisherRoleArn",
                value=portal.techdocs_publisher.role.role_arn,
                description="Set as the GitHub organisation variable STAGELIFT_TECHDOCS_ROLE_ARN (and TechDocsBucketName as STAGELIFT_TECHDOCS_BUCKET): generated repositories publish their docs with it",
            )
        CfnOutput(self, "AlarmTopicArn", value=portal.alarm_topic.topic.topic_arn, description="Subscribe on-call here")
