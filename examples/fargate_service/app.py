"""Stage 2 example: FargateService with its defaults, with every option, and on a shared VPC and cluster.

Run ``python examples/fargate_service/app.py`` (set ``CDK_OUTDIR`` to choose the output folder)
or ``cdk synth --app "python examples/fargate_service/app.py"``. Synthesizes offline: stacks
name a region (ALB access logging needs it); availability zones are resolved by CloudFormation
at deploy time (``DeployTimeZonesStack``), so nothing is looked up, with or without an account;
the hosted zone is given by id and name.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from aws_cdk import aws_ecs as ecs
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import FargateServiceConfig, validate
from stagelift.constructs import FargateService, ServiceNetwork
from stagelift.zones import DeployTimeZonesStack

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
# A public image, so the example needs no registry of its own; a service repository builds its own.
IMAGE = "public.ecr.aws/nginx/nginx:stable"

DEFAULTS = {"serviceName": "hello-fargate"}
ALL_OPTIONS = {
    "serviceName": "orders-web",
    "owner": "group:default/payments",
    "system": "checkout",
    "environment": "production",
    "logRetentionDays": 365,
    "alarmEmail": "payments-oncall@example.com",
    "cpu": 1024,
    "memoryMib": 4096,
    "containerPort": 8080,
    "healthCheckPath": "/healthz",
    "desiredCount": 3,
    "minCapacity": 2,
    "maxCapacity": 12,
    "fargateSpot": False,
    "domainName": "orders.example.com",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "hostedZoneName": "example.com",
    "database": "aurora-serverless",
    "enableRedis": True,
    "enableMessaging": True,
    "enableEventBus": True,
    "enableEfs": True,
    "sesSenderIdentity": "example.com",
}
SHARED = {
    "serviceName": "reports-web",
    "environment": "staging",
    "fargateSpot": True,
    "domainName": "reports.example.com",
    "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
    "database": "postgres",
}


class FargateServiceStack(DeployTimeZonesStack):
    """One FargateService and its load balancer's DNS name as an output."""

    def __init__(self, scope: cdk.App, id: str, *, config: FargateServiceConfig) -> None:
        super().__init__(scope, id, env=cdk.Environment(region=REGION), description=f"stagelift example: Fargate tier, {config.service_name}")
        self.service = FargateService(self, "Service", config=config, image=ecs.ContainerImage.from_registry(IMAGE))
        cdk.CfnOutput(self, "LoadBalancerDns", value=self.service.load_balancer.load_balancer_dns_name)


class SharedClusterStack(DeployTimeZonesStack):
    """A platform-owned VPC and cluster, and a service placed on them (bring your own VPC and cluster)."""

    def __init__(self, scope: cdk.App, id: str, *, config: FargateServiceConfig) -> None:
        super().__init__(scope, id, env=cdk.Environment(region=REGION), description="stagelift example: Fargate tier on a shared cluster")
        network = ServiceNetwork(self, "Network")
        cluster = ecs.Cluster(
            self, "Cluster", vpc=network.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED, enable_fargate_capacity_providers=True
        )
        self.service = FargateService(
            self,
            "Service",
            config=config,
            image=ecs.ContainerImage.from_registry(IMAGE),
            vpc=network.vpc,
            cluster=cluster,
            environment={"LOG_LEVEL": "info"},
        )
        cdk.CfnOutput(self, "LoadBalancerDns", value=self.service.load_balancer.load_balancer_dns_name)


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app with cdk.json feature flags and cdk-nag registered (findings fail synthesis)."""
    app = create_app(REPO_ROOT, outdir=outdir)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    FargateServiceStack(app, "FargateDefaults", config=validate(FargateServiceConfig, DEFAULTS, "example"))
    FargateServiceStack(app, "FargateAllOptions", config=validate(FargateServiceConfig, ALL_OPTIONS, "example"))
    SharedClusterStack(app, "FargateSharedCluster", config=validate(FargateServiceConfig, SHARED, "example"))
    return app


if __name__ == "__main__":
    build_app().synth()
