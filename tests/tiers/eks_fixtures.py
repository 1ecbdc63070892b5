"""Shared set-up for the EKS tier tests: one synthesized app per platform configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

from stagelift.config import EksPlatformConfig, EksServiceConfig
from stagelift.constructs import EksPlatform, EksService
from tests.conftest import new_app

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


@dataclass
class Synthesized:
    app: cdk.App
    platform_stack: cdk.Stack
    platform: EksPlatform
    services: dict[str, EksService] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)


def synthesize(platform_config: EksPlatformConfig, services: dict[str, EksServiceConfig] | None = None, *, git_credentials: bool = False, **platform_options: object) -> Synthesized:
    """Platform stack plus one stack per service; every template synthesized (aspects have run)."""
    app = new_app()
    platform_stack = cdk.Stack(app, "Platform", env=ENV)
    if git_credentials:
        platform_options["git_credentials"] = secretsmanager.Secret.from_secret_name_v2(platform_stack, "GitCredentials", "platform/git")
    platform = EksPlatform(platform_stack, "Platform", config=platform_config, availability_zones=AZS[: platform_config.max_azs], **platform_options)  # type: ignore[arg-type]
    result = Synthesized(app, platform_stack, platform)
    stacks = {"Platform": platform_stack}
    for name, config in (services or {}).items():
        stack = cdk.Stack(app, name, env=ENV)
        result.services[name] = EksService(
            stack,
            "Service",
            config=config,
            cluster=platform.cluster,
            vpc=platform.vpc,
            keda_operator_role=platform.keda_operator_role if config.enable_keda else None,
            oidc_issuer=platform.oidc_issuer if config.pod_identity == "irsa" else None,
            node_architecture=platform_config.architecture,
        )
        stacks[name] = stack
    for name, stack in stacks.items():
        result.templates[name] = Template.from_stack(stack)
    return result


def resources_of_type(template: Template, type_: str) -> dict[str, dict]:
    return {k: v for k, v in template.to_json()["Resources"].items() if v["Type"] == type_}
