"""CDK app of {{ cookiecutter.service_name }}: the stagelift EksService on the shared EKS platform.

The stack holds the service's AWS side (pod IAM role, ECR repository{{ ", data stores" if (cookiecutter.enable_database or cookiecutter.enable_redis or cookiecutter.enable_fifo_queue) else "" }}); the same
construct renders the Kubernetes manifests in ../k8s/, which Argo CD syncs to the cluster.

    python app.py                      synthesize (to $CDK_OUTDIR or a temporary folder)
    IMAGE_TAG=<tag> python app.py --write-manifests
                                       render ../k8s/ for that image tag (no synthesis)
    cdk synth / cdk deploy             from this folder

Synthesis needs no AWS credentials: the platform's identifiers (VPC, subnets, cluster security
group, kubectl handler, OIDC provider, node architecture) are SSM parameters the platform
publishes under /stagelift/{{ cookiecutter.environment }}/eks/{{ cookiecutter.cluster_name }}/, which
CloudFormation resolves when the stack is deployed; the account and region are fixed. cdk-nag's
AwsSolutions pack runs on every synth.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import EksServiceConfig, validate
from stagelift.constructs.eks_platform import EksPlatformImport
from stagelift.constructs.eks_service import EksService
from stagelift.kubernetes import write_manifests

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
ACCOUNT = "{{ cookiecutter.aws_account_id }}"
REGION = "{{ cookiecutter.aws_region }}"
CLUSTER_NAME = "{{ cookiecutter.cluster_name }}"

CONFIG = validate(
    EksServiceConfig,
    {
        "service_name": "{{ cookiecutter.service_name }}",
        "owner": "{{ cookiecutter.owner }}",
{%- if cookiecutter.system %}
        "system": "{{ cookiecutter.system }}",
{%- endif %}
        "environment": "{{ cookiecutter.environment }}",
        "log_retention_days": {{ cookiecutter.log_retention_days }},
{%- if cookiecutter.alarm_email %}
        "alarm_email": "{{ cookiecutter.alarm_email }}",
{%- endif %}
{%- if cookiecutter.namespace %}
        "namespace": "{{ cookiecutter.namespace }}",
{%- endif %}
        "replicas": {{ cookiecutter.replicas }},
        "container_port": {{ cookiecutter.container_port }},
        "health_check_path": "/healthz",
        "cpu_request": "{{ cookiecutter.cpu_request }}",
        "cpu_limit": "{{ cookiecutter.cpu_limit }}",
        "memory_request": "{{ cookiecutter.memory_request }}",
        "memory_limit": "{{ cookiecutter.memory_limit }}",
        "enable_hpa": {{ cookiecutter.enable_hpa }},
        "min_replicas": {{ cookiecutter.min_replicas }},
        "max_replicas": {{ cookiecutter.max_replicas }},
        "ingress_class": "{{ cookiecutter.ingress_class }}",
{%- if cookiecutter.host %}
        "host": "{{ cookiecutter.host }}",
{%- endif %}
        "enable_database": {{ cookiecutter.enable_database }},
        "enable_redis": {{ cookiecutter.enable_redis }},
        "enable_fifo_queue": {{ cookiecutter.enable_fifo_queue }},
        "architecture": "{{ cookiecutter.architecture }}",
        "git_repo_url": "https://github.com/{{ cookiecutter.github_org }}/{{ cookiecutter.github_repo }}.git",
        "git_path": "k8s",
    },
    "{{ cookiecutter.service_name }} configuration",
)


def build(app: cdk.App) -> EksService:
    stack = cdk.Stack(
        app,
        "{{ cookiecutter.service_name }}",
        env=cdk.Environment(account=ACCOUNT, region=REGION),
        description="{{ cookiecutter.description }}",
    )
    # The platform as published in SSM (read at deploy time; see stagelift.parameters).
    platform = EksPlatformImport(stack, "Platform", config=CONFIG, cluster_name=CLUSTER_NAME)
    # Image: this service's ECR repository at $IMAGE_TAG (deploy.yml sets the commit's tag).
    service = EksService(
        stack,
        "Service",
        config=CONFIG,
        cluster=platform.cluster,
        vpc=platform.vpc,
        image_tag=os.environ.get("IMAGE_TAG") or None,
        # A CloudFormation rule stops the deploy if the nodes are not {{ cookiecutter.architecture }}.
        node_architecture=platform.node_architecture,
    )
    cdk.CfnOutput(stack, "RepositoryUri", value=service.repository.repository_uri)
    cdk.CfnOutput(stack, "PodRoleArn", value=service.role.role_arn)
    return service


def main(argv: list[str]) -> None:
    app = create_app(INFRA)
    service = build(app)
    if "--write-manifests" in argv:
        for path in write_manifests(service.manifests, ROOT / "k8s"):
            print(path.relative_to(ROOT))
        return
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1:])
