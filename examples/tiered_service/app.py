"""Tiered service example: a Lambda service moving to Fargate behind its service environment's load balancer.

Three stacks, the three moments of a move: ``OrdersOnLambda`` (the function's target group at
100 %), ``OrdersMovingToFargate`` (as a service repository has it after ``stagelift upgrade
start --to fargate`` and a few shifts: the function, its HTTP API kept, and the Fargate tasks,
forwarded to with the weights of ``migration.json``, a ``TierMigration``) and ``OrdersOnFargate``
(after ``finish``). Each has one listener rule on the environment's shared HTTPS listener for
``orders.<domain>``; the environment is read from SSM at deploy time (``ServiceEnvironmentImport``).

Run ``python examples/tiered_service/app.py`` (set ``CDK_OUTDIR`` to choose the output folder) or
``cdk synth --app "python examples/tiered_service/app.py"``. Synthesizes offline.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Validations
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks

from stagelift.cdk_app import create_app
from stagelift.config import FargateServiceConfig, LambdaServiceConfig, Tier, TierMigration, validate
from stagelift.constructs import FargateService, LambdaService, ServiceEnvironmentImport, TieredService
from stagelift.constructs.tiered_service import weighted_targets

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REGION = "eu-west-1"
SERVICE = {"serviceName": "orders", "owner": "group:default/payments"}


def service_stack(app: cdk.App, id: str, *, tiers: tuple[str, ...], migration: TierMigration | None = None) -> cdk.Stack:
    """One service's stack with the target groups of ``tiers`` behind its rule on the shared listener."""
    stack = cdk.Stack(app, id, env=cdk.Environment(region=REGION))
    environment = ServiceEnvironmentImport(stack, "Environment", environment="development", name="shared")
    groups: dict[Tier, elbv2.IApplicationTargetGroup] = {}
    if "lambda" in tiers:
        function = LambdaService(
            stack,
            "Lambda",
            config=validate(LambdaServiceConfig, SERVICE, "example lambda.json"),
            code=lambda_.Code.from_asset(str(HERE / "handler")),
            handler="index.handle",
            load_balancer_target=True,
        )
        assert function.target_group is not None
        groups["lambda"] = function.target_group
    if "fargate" in tiers:
        tasks = FargateService(
            stack,
            "Fargate",
            # The environment's cluster is imported: it already has the Spot capacity provider, which
            # an imported cluster cannot be given here, so the service runs on-demand.
            config=validate(FargateServiceConfig, {**SERVICE, "fargateSpot": False}, "example fargate.json"),
            image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"),
            vpc=environment.vpc,
            cluster=environment.cluster,
            shared_listener=environment.listener,
            shared_load_balancer_security_group=environment.load_balancer_security_group,
        )
        groups["fargate"] = tasks.target_group
    TieredService(stack, "FrontDoor", environment=environment, service_name=SERVICE["serviceName"], targets=weighted_targets(groups, migration))
    return stack


def build_app(outdir: str | None = None) -> cdk.App:
    """The three moments of a move, each as its own stack, with cdk-nag registered (findings fail synthesis)."""
    app = create_app(REPO_ROOT, outdir=outdir)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    # Before: the Lambda service on the environment's load balancer, all traffic on Lambda.
    service_stack(app, "OrdersOnLambda", tiers=("lambda",))
    # During: both tiers, the weights of migration.json.
    migration = TierMigration.from_json((HERE / "migration.json").read_text(), "examples/tiered_service/migration.json")
    service_stack(app, "OrdersMovingToFargate", tiers=("lambda", "fargate"), migration=migration)
    # After finish: only Fargate.
    service_stack(app, "OrdersOnFargate", tiers=("fargate",))
    return app


if __name__ == "__main__":
    build_app().synth()
