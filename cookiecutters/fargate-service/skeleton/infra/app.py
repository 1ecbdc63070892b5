"""CDK app of {{ cookiecutter.service_name }}: the stagelift FargateService with the answers given at creation.

`cdk synth` / `cdk deploy` from this folder, or `python app.py` (writes to $CDK_OUTDIR or a
temporary folder). Synthesis needs no AWS credentials and no Docker: the image is built from the
repository's Dockerfile when `cdk deploy` publishes it. cdk-nag's AwsSolutions pack runs on every
synth: an unacknowledged finding fails it.
"""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import FargateServiceConfig, validate
from stagelift.constructs.fargate_service import FargateService
from stagelift.constructs.nag import acknowledge, default_policy
from stagelift.zones import DeployTimeZonesStack

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
REGION = "{{ cookiecutter.aws_region }}"

CONFIG = validate(
    FargateServiceConfig,
    {
        "service_name": "{{ cookiecutter.service_name }}",
        "owner": "{{ cookiecutter.owner }}",
{%- if cookiecutter.system %}
        "system": "{{ cookiecutter.system }}",
{%- endif %}
        "environment": "{{ cookiecutter.environment }}",
{%- if cookiecutter.domain_name %}
        "domain_name": "{{ cookiecutter.domain_name }}",
{%- endif %}
{%- if cookiecutter.hosted_zone_id %}
        "hosted_zone_id": "{{ cookiecutter.hosted_zone_id }}",
        "hosted_zone_name": "{{ cookiecutter.hosted_zone_name }}",
{%- endif %}
{%- if cookiecutter.certificate_arn %}
        "certificate_arn": "{{ cookiecutter.certificate_arn }}",
{%- endif %}
        "log_retention_days": {{ cookiecutter.log_retention_days }},
{%- if cookiecutter.alarm_email %}
        "alarm_email": "{{ cookiecutter.alarm_email }}",
{%- endif %}
        "cpu": {{ cookiecutter.cpu }},
        "memory_mib": {{ cookiecutter.memory_mib }},
        "container_port": {{ cookiecutter.container_port }},
        "health_check_path": "/healthz",
        "desired_count": {{ cookiecutter.desired_count }},
        "min_capacity": {{ cookiecutter.min_capacity }},
        "max_capacity": {{ cookiecutter.max_capacity }},
        "database": "{{ cookiecutter.database }}",
        "enable_redis": {{ cookiecutter.enable_redis }},
        "enable_messaging": {{ cookiecutter.enable_messaging }},
    },
    "{{ cookiecutter.service_name }} configuration",
)


def build(app: cdk.App) -> DeployTimeZonesStack:
    # Zones are resolved by CloudFormation at deploy time: synthesis is the same with and without
    # credentials, and no zone name is guessed.
    stack = DeployTimeZonesStack(
        app,
        "{{ cookiecutter.service_name }}",
        # Account from the CLI's credentials when there are some; synthesis works without.
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=REGION),
        description="{{ cookiecutter.description }}",
    )
    service = FargateService(
        stack,
        "Service",
        config=CONFIG,
        # Built from ../Dockerfile and pushed to the CDK bootstrap repository by `cdk deploy`.
        image=ecs.ContainerImage.from_asset(str(ROOT), exclude=["infra", ".git", ".github", ".venv", "**/__pycache__", "tests", "docs"]),
    )
    execution_role = service.task_definition.execution_role
    assert execution_role is not None
    acknowledge(
        default_policy(execution_role),  # the grants' policy, where the finding is
        "AwsSolutions-IAM5[Resource::*]",
        "Only ecr:GetAuthorizationToken uses Resource '*': it has no resource-level permissions, and pulling the image asset needs it.",
    )
    cdk.CfnOutput(stack, "LoadBalancerDnsName", value=service.load_balancer.load_balancer_dns_name)
    cdk.CfnOutput(stack, "ClusterName", value=service.cluster.cluster_name)
    cdk.CfnOutput(stack, "ServiceName", value=service.service.service_name)
    return stack


def main() -> None:
    app = create_app(INFRA)
    build(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main()
