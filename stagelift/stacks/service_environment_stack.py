"""The service environment stack: one ``ServiceEnvironment`` and the outputs an operator needs after deploy."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment
from constructs import Construct

from ..config.service_environment import ServiceEnvironmentConfig
from ..constructs.service_environment import ServiceEnvironment
from ..parameters import environment_parameter_prefix
from ..zones import DeployTimeZonesStack


def service_environment_stack_name(config: ServiceEnvironmentConfig) -> str:
    return f"ServiceEnvironment-{config.name}-{config.environment}"


class ServiceEnvironmentStack(DeployTimeZonesStack):
    """Deploys one service environment; the platform team deploys one per account, region and environment.

    Its availability zones are resolved by CloudFormation at deploy time (no lookup); termination
    protection is on in production. Services find it through its SSM parameters, never through
    these outputs (which are for people).
    """

    def __init__(self, scope: Construct, id: str | None = None, *, config: ServiceEnvironmentConfig, env: Environment | None = None) -> None:
        """
        :param env: account and region; default the CLI's (``CDK_DEFAULT_ACCOUNT``/``REGION``) when deployed, none at synth.
        """
        super().__init__(
            scope,
            id or service_environment_stack_name(config),
            env=env,
            description=f"Service environment {config.name} ({config.environment}): VPC, ECS cluster, shared HTTPS load balancer - stagelift",
            termination_protection=config.production,
            zone_count=config.max_azs,
        )
        self.service_environment = ServiceEnvironment(self, "Environment", config=config)
        environment = self.service_environment
        CfnOutput(self, "ParameterPath", value=environment_parameter_prefix(config.environment, config.name), description="SSM path services read this environment from")
        CfnOutput(self, "ServiceUrlPattern", value=f"https://<service>.{config.domain_name}", description="Where each service is served")
        CfnOutput(self, "LoadBalancerDnsName", value=environment.load_balancer.load_balancer_dns_name, description="Shared Application Load Balancer")
        CfnOutput(self, "ClusterName", value=environment.cluster.cluster_name, description="ECS cluster Fargate services run in")
        if environment.eks is not None:
            CfnOutput(self, "EksClusterName", value=environment.eks.cluster.cluster_name, description="EKS platform in the same VPC")
