"""Service environment example: what the platform team deploys once per account, region and environment.

Two environments: ``development`` with its defaults, and ``production`` over three zones with
the EKS platform in the same VPC. Services attach to them by name (``shared``) and read them from
SSM at deploy time (``ServiceEnvironmentImport``).

Run ``python examples/service_environment/app.py`` (set ``CDK_OUTDIR`` to choose the output
folder) or ``cdk synth --app "python examples/service_environment/app.py"``. Synthesizes offline:
stacks name a region (load balancer access logging needs it); availability zones are resolved by
CloudFormation at deploy time; the hosted zone is given by id and name, never looked up.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import ServiceEnvironmentConfig, validate
from stagelift.stacks.service_environment_stack import ServiceEnvironmentStack

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ZONE = {"hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}

DEVELOPMENT = {"domainName": "dev.services.example.com", **ZONE}
PRODUCTION = {
    "name": "shared",
    "environment": "production",
    "domainName": "services.example.com",
    **ZONE,
    "vpcCidr": "10.16.0.0/16",
    "maxAzs": 3,
    "natGateways": 3,
    "waf": True,
    "wafRateLimit": 20000,
    "logRetentionDays": 365,
    "eks": {"clusterName": "services", "instanceTypes": ["m7g.large"], "minNodes": 3, "maxNodes": 9, "teams": ["platform-team", "group:default/payments"]},
}


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app with cdk.json feature flags and cdk-nag registered (findings fail synthesis)."""
    app = create_app(REPO_ROOT, outdir=outdir)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    env = cdk.Environment(region=REGION)
    ServiceEnvironmentStack(app, "ServiceEnvironmentDevelopment", config=validate(ServiceEnvironmentConfig, DEVELOPMENT, "example"), env=env)
    ServiceEnvironmentStack(app, "ServiceEnvironmentProduction", config=validate(ServiceEnvironmentConfig, PRODUCTION, "example"), env=env)
    return app


if __name__ == "__main__":
    build_app().synth()
