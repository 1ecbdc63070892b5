"""Every value a configuration model accepts synthesizes; every other one is one clear ConfigError.

For each model the cases are read off its pydantic fields, so a new field is covered (or this
module fails, asking for a sample value): the bounds of every numeric field (``ge``/``le``, or the
first and last value a validator allows), every ``Literal`` value, both values of every switch,
and a sample for every text or list field, each varied one at a time around every profile's
defaults (one-factor-at-a-time, not the cartesian product). Each case must either be refused by
the configuration with a ``ConfigError`` that names its key, or synthesize with cdk-nag's
AwsSolutions pack registered and nothing unacknowledged. Nothing may fail inside CDK/jsii.

Cost: accepted cases of one model and profile share one App (one synthesis, one validation
pass); only when that synthesis fails is each case synthesized alone, to name the culprit.
"""

from __future__ import annotations

import json
import os
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import pytest
from annotated_types import Ge, Le
from aws_cdk import Validations
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from stagelift.cdk_app import create_app
from stagelift.config import (
    LOG_RETENTION_DAYS,
    ConfigError,
    EksPlatformConfig,
    EksServiceConfig,
    FargateServiceConfig,
    LambdaServiceConfig,
    PortalConfig,
    ServiceEnvironmentConfig,
    load_portal_config,
    validate,
)
from stagelift.config.portal import PRODUCTION_SAFEGUARDS
from stagelift.constructs import (
    EksPlatform,
    EksPlatformImport,
    EksService,
    FargateService,
    LambdaService,
    ServiceEnvironmentImport,
    TieredService,
    WeightedTarget,
)
from stagelift.stacks.portal_stack import PortalStack
from stagelift.stacks.service_environment_stack import ServiceEnvironmentStack
from stagelift.zones import DeployTimeZonesStack
from tests.conftest import REPO_ROOT, TEST_CONTEXT

ENVIRONMENTS = ("development", "staging", "production")
ENV = cdk.Environment(account="123456789012", region="eu-west-1")
DOMAIN = {"domainName": "backstage.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}
CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
GITHUB_APP_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:backstage/github-app-AbC123"
GITHUB_APP_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/12345678-1234-1234-1234-123456789012"
EXISTING_VPC = {
    "vpcId": "vpc-0123456789abcdef0",
    "vpcCidr": "10.20.0.0/16",
    "region": "eu-west-1",
    "availabilityZones": ["eu-west-1a", "eu-west-1b"],
    "publicSubnetIds": ["subnet-0000000000000000a", "subnet-0000000000000000b"],
    "privateSubnetIds": ["subnet-1000000000000000a", "subnet-1000000000000000b"],
    "isolatedSubnetIds": ["subnet-2000000000000000a", "subnet-2000000000000000b"],
    "privateSubnetRouteTableIds": ["rtb-1000000000000000a", "rtb-1000000000000000b"],
}
SAML_URL = "https://login.example.com/federationmetadata/2007-06/federationmetadata.xml"
OIDC = {
    "oidcIssuer": "https://idp.example.com/oauth2/default",
    "oidcClientId": "0oa1b2c3d4portal",
    "oidcClientSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:portal/oidc-client-AbCdEf",
}
GITHUB_OIDC_PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
# Production's safeguards, each at a value below production's default.
WEAKENED: dict[str, object] = {
    "mfa": "OFF",
    "databaseMultiAz": False,
    "databaseDeletionProtection": False,
    "databaseBackupRetentionDays": 7,
    "rotateDatabaseCredentials": False,
    "retainData": False,
    "waf": False,
    "loadBalancerDeletionProtection": False,
    "flowLogs": False,
}
OVERRIDE_REASON = "Load-test copy of production, torn down every evening"
LAMBDA_HANDLER = REPO_ROOT / "examples" / "lambda_service" / "handler"
PORTAL_APP = "<prepared Backstage app>"  # replaced by a prepared folder at run time

# Values for fields whose valid values cannot be read off the model (text, lists, ints checked by a
# validator), each a set of keys changed together (a domain needs its zone). A field missing here
# and not introspectable fails test_every_field_has_values.
SAMPLES: dict[type[BaseModel], dict[str, list[dict[str, object]]]] = {
    PortalConfig: {
        "portalName": [{"portalName": "idp"}, {"portalName": "a" * 22}],
        "account": [{"account": "123456789012"}],
        "region": [{"region": "eu-west-1"}, {"region": "us-gov-west-1"}],
        "availabilityZones": [{"region": "eu-west-1", "availabilityZones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"]}],
        "domainName": [DOMAIN],
        "hostedZoneId": [DOMAIN],
        "hostedZoneName": [DOMAIN],
        "certificateArn": [{"domainName": "portal.example.org", "certificateArn": CERTIFICATE_ARN}],
        "imageTag": [{"imageTag": "v1"}],
        "imageUri": [{"imageUri": "ghcr.io/example/backstage:1.2.3"}],
        "vpcCidr": [{"vpcCidr": "10.0.0.0/16"}, {"vpcCidr": "10.0.0.0/19"}, {"vpcCidr": "10.0.0.0/24"}, {"vpcCidr": "10.0.0.0/24", "maxAzs": 6, "natGateways": 1}, {"vpcCidr": "300.0.0.0/16"}],
        "vpcId": [EXISTING_VPC],
        "publicSubnetIds": [EXISTING_VPC],
        "privateSubnetIds": [EXISTING_VPC],
        "isolatedSubnetIds": [EXISTING_VPC],
        "privateSubnetRouteTableIds": [EXISTING_VPC],
        "databaseInstanceClass": [{"databaseInstanceClass": "db.t4g.micro"}, {"databaseInstanceClass": "db.r7g.2xlarge"}],
        "performanceInsightsRetentionDays": [{"performanceInsightsRetentionDays": 7}, {"performanceInsightsRetentionDays": 731}, {"performanceInsightsRetentionDays": 8}],
        "taskCpu": [{"taskCpu": 256, "taskMemoryMib": 512}, {"taskCpu": 16384, "taskMemoryMib": 122880}],
        "taskMemoryMib": [{"taskMemoryMib": 123}],
        "portalAppPath": [{"portalAppPath": PORTAL_APP}],
        "alarmEmail": [{"alarmEmail": "oncall@example.com"}],
        # Company identity provider: SAML or OIDC (its three keys together), optionally without local users.
        "samlMetadataUrl": [{"samlMetadataUrl": SAML_URL}, {"samlMetadataUrl": SAML_URL, "localUsers": False}],
        "samlEmailAttribute": [{"samlMetadataUrl": SAML_URL, "samlEmailAttribute": "email"}],
        "oidcIssuer": [OIDC, {"oidcIssuer": OIDC["oidcIssuer"]}],
        "oidcClientId": [{**OIDC, "localUsers": False}, {"oidcClientId": OIDC["oidcClientId"]}],
        "oidcClientSecretArn": [{"oidcClientSecretArn": OIDC["oidcClientSecretArn"]}],
        "identityProviderName": [{"identityProviderName": "Okta-prod.1", **OIDC}, {"identityProviderName": "Cognito", "samlMetadataUrl": SAML_URL}],
        "githubOrganization": [{"githubOrganization": "example-org"}],
        "githubOidcProviderArn": [
            {"githubOrganization": "example-org", "githubOidcProviderArn": GITHUB_OIDC_PROVIDER_ARN},
            {"githubOidcProviderArn": GITHUB_OIDC_PROVIDER_ARN},
        ],
        # The portal's GitHub App: with its organisation (and key), without the organisation, a partial ARN.
        "githubAppSecretArn": [
            {"githubOrganization": "example-org", "githubAppSecretArn": GITHUB_APP_SECRET_ARN},
            {"githubAppSecretArn": GITHUB_APP_SECRET_ARN},
            {"githubOrganization": "example-org", "githubAppSecretArn": GITHUB_APP_SECRET_ARN[:-7]},
        ],
        "githubAppSecretKeyArn": [
            {"githubOrganization": "example-org", "githubAppSecretArn": GITHUB_APP_SECRET_ARN, "githubAppSecretKeyArn": GITHUB_APP_KEY_ARN},
            {"githubAppSecretKeyArn": GITHUB_APP_KEY_ARN},
        ],
        # Production only: every safeguard weakened at once, each with its reason; a reason for a
        # safeguard kept at production's default (refused as stale everywhere). Each safeguard
        # weakened alone is a case of its own field, retried with a reason in production.
        "productionOverrides": [
            {**WEAKENED, "productionOverrides": {key: OVERRIDE_REASON for key in WEAKENED}},
            {"productionOverrides": {"waf": OVERRIDE_REASON}},
        ],
    },
    LambdaServiceConfig: {},
    FargateServiceConfig: {
        "cpu": [{"cpu": 256, "memoryMib": 512}, {"cpu": 16384, "memoryMib": 122880}],
        "memoryMib": [{"memoryMib": 123}],
        "healthCheckPath": [{"healthCheckPath": "/"}],
        "domainName": [{"domainName": "web.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}],
        "hostedZoneId": [{"domainName": "web.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}],
        "hostedZoneName": [{"hostedZoneName": "example.com"}],
        "certificateArn": [{"domainName": "web.example.org", "certificateArn": CERTIFICATE_ARN}],
        "sesSenderIdentity": [{"sesSenderIdentity": "example.com"}, {"sesSenderIdentity": "noreply@example.com"}],
        "serviceEnvironment": [{"serviceEnvironment": "shared"}],
    },
    EksPlatformConfig: {
        "clusterName": [{"clusterName": "platform-" + "x" * 30}],
        "instanceTypes": [{"instanceTypes": ["m7i.large", "c7i.xlarge"]}, {"instanceTypes": ["m7i.large", "c7g.xlarge"]}, {"instanceTypes": ["t4g.small"]}],
        "teams": [{"teams": ["platform-team", "group:default/payments"]}],
        "gitUrlPrefix": [{"gitUrlPrefix": "https://github.com/example-org/"}],
    },
    ServiceEnvironmentConfig: {
        "name": [{"name": "abc"}, {"name": "e" * 40}],
        "domainName": [{"domainName": "example.com"}, {"domainName": "a.b.c.example.com"}, {"domainName": "services.example.org"}],
        "hostedZoneId": [{"hostedZoneId": "Z9"}],
        "hostedZoneName": [{"hostedZoneName": "services.example.com"}, {"hostedZoneName": "org"}],
        "vpcCidr": [{"vpcCidr": "10.0.0.0/24"}, {"vpcCidr": "10.0.0.0/24", "maxAzs": 3}, {"vpcCidr": "172.16.0.0/12"}],
        "eks": [{"eks": {"clusterName": "services"}}, {"eks": {"nodeProvisioning": "karpenter"}}, {"eks": {"maxAzs": 3}}],
    },
    EksServiceConfig: {
        "namespace": [{"namespace": "team-a"}],
        "cpuRequest": [{"cpuRequest": "1m"}, {"cpuRequest": "2"}],
        "cpuLimit": [{"cpuLimit": "4", "cpuRequest": "4"}],
        "memoryRequest": [{"memoryRequest": "1Mi"}],
        "memoryLimit": [{"memoryLimit": "64Gi"}],
        "healthCheckPath": [{"healthCheckPath": "/"}],
        "host": [{"host": "svc.example.com"}],
        "gitRepoUrl": [{"gitRepoUrl": "git@github.com:example-org/svc.git"}],
        "gitPath": [{"gitPath": "deploy/k8s"}],
        "serviceEnvironment": [{"serviceEnvironment": "shared"}],
    },
}
# Fields every service tier shares (ServiceConfig).
for _model in (LambdaServiceConfig, FargateServiceConfig, EksServiceConfig):
    SAMPLES[_model].update(
        {
            "serviceName": [{"serviceName": "abc"}, {"serviceName": "s" * 40}],
            "owner": [{"owner": "group:default/payments"}],
            "system": [{"system": "checkout"}],
            "alarmEmail": [{"alarmEmail": "oncall@example.com"}],
        }
    )
SAMPLES[LambdaServiceConfig].update(
    {
        "scheduleExpression": [{"scheduleExpression": "rate(1 minute)"}, {"scheduleExpression": "cron(0 12 * * ? *)"}],
        "sesSenderIdentity": [{"sesSenderIdentity": "example.com"}],
    }
)
# Validator-checked ints: first and last value allowed.
VALIDATOR_BOUNDS: dict[str, tuple[int, int]] = {"_check_retention": (LOG_RETENTION_DAYS[0], LOG_RETENTION_DAYS[-1])}


def _alias(name: str, field: FieldInfo) -> str:
    return field.alias or name


def introspected_values(field: FieldInfo) -> list[object]:
    """Boundary and switch values read off the field's type and constraints."""
    annotation = field.annotation
    args = typing.get_args(annotation)
    optional = type(None) in args
    inner = next((a for a in args if a is not type(None)), annotation) if optional else annotation
    values: list[object] = []
    if typing.get_origin(inner) is typing.Literal:
        values = list(typing.get_args(inner))
    elif inner is bool:
        values = [True, False]
    elif inner is int:
        bounds = [m.ge for m in field.metadata if isinstance(m, Ge)] + [m.le for m in field.metadata if isinstance(m, Le)]
        for item in field.metadata:
            name = getattr(getattr(item, "func", None), "__name__", "")
            if name in VALIDATOR_BOUNDS:
                bounds = list(VALIDATOR_BOUNDS[name])
        values = list(bounds) if len(bounds) == 2 else []
    if values and optional:
        values.append(None)
    return values


def field_cases(model: type[BaseModel]) -> Iterator[tuple[str, dict[str, object]]]:
    """(label, overrides) for every value of every field, one field at a time."""
    for name, field in model.model_fields.items():
        alias = _alias(name, field)
        if alias == "environment":
            continue  # the profile axis
        for value in introspected_values(field):
            yield f"{alias}={value}", {alias: value}
        for sample in SAMPLES[model].get(alias, []):
            yield f"{alias}:{json.dumps(sample, sort_keys=True)[:60]}", dict(sample)


def test_node_groups_of_mixed_architectures_are_refused() -> None:
    # Accepted by the configuration before, then CDK stopped with InstanceTypesDifferentArchitecturesNotAllowed.
    with pytest.raises(ConfigError, match=r"instanceTypes = .*m7i.large.*c7g.xlarge.* mix (Graviton|architectures)"):
        validate(EksPlatformConfig, {"instanceTypes": ["m7i.large", "c7g.xlarge"]}, "platform")


def _weakened_safeguards(model: type[BaseModel], base: Mapping[str, object], overrides: Mapping[str, object]) -> list[str]:
    """The production safeguards a case weakens without giving a reason (none outside production)."""
    if model is not PortalConfig or base.get("environment") != "production" or "productionOverrides" in overrides:
        return []
    return [key for key, value in overrides.items() if key in PRODUCTION_SAFEGUARDS and value is not None and PRODUCTION_SAFEGUARDS[key](value)]


def test_every_production_safeguard_is_weakened_by_a_sample() -> None:
    assert set(WEAKENED) == set(PRODUCTION_SAFEGUARDS)
    assert all(PRODUCTION_SAFEGUARDS[key](value) for key, value in WEAKENED.items())


def test_every_field_has_values() -> None:
    for model in SAMPLES:
        bare = [
            _alias(n, f)
            for n, f in model.model_fields.items()
            if _alias(n, f) != "environment" and not introspected_values(f) and _alias(n, f) not in SAMPLES[model]
        ]
        assert bare == [], f"{model.__name__}: add sample values to SAMPLES for {bare}"


# --- building one case as a stack -------------------------------------------------------------------------------


def _portal_app_folder() -> str:
    """The portal app this repository ships (an image asset is staged, never built, at synth)."""
    return str(REPO_ROOT / "portal" / "app")


def build_portal(app: cdk.App, id: str, config: BaseModel) -> None:
    PortalStack(app, id, config=config)  # type: ignore[arg-type]


def build_lambda(app: cdk.App, id: str, config: BaseModel) -> None:
    stack = cdk.Stack(app, id)
    # A folder asset: every runtime accepts it (inline code is for Python and Node.js only).
    LambdaService(stack, "Service", config=config, code=lambda_.Code.from_asset(str(LAMBDA_HANDLER)), handler="app.handler")  # type: ignore[arg-type]


def shared(stack: cdk.Stack, config: BaseModel) -> ServiceEnvironmentImport | None:
    """The service environment an attached service joins (as the generated repositories import it)."""
    if not getattr(config, "attached", False):
        return None
    return ServiceEnvironmentImport(stack, "Environment", environment=str(config.environment), name=config.service_environment)  # type: ignore[attr-defined]


def build_fargate(app: cdk.App, id: str, config: BaseModel) -> None:
    stack = DeployTimeZonesStack(app, id, env=ENV)
    env = shared(stack, config)
    joined = {} if env is None else {"vpc": env.vpc, "cluster": env.cluster, "shared_listener": env.listener, "shared_load_balancer_security_group": env.load_balancer_security_group}
    service = FargateService(stack, "Service", config=config, image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"), **joined)  # type: ignore[arg-type]
    if env is not None:
        # Attached, as the generated repositories build it: behind its rule on the shared listener.
        TieredService(stack, "FrontDoor", environment=env, service_name=config.service_name, targets=[WeightedTarget("fargate", service.target_group, 100)])  # type: ignore[attr-defined]


def build_eks_platform(app: cdk.App, id: str, config: BaseModel) -> None:
    stack = DeployTimeZonesStack(app, id, env=ENV, zone_count=config.max_azs)  # type: ignore[attr-defined]
    EksPlatform(stack, "Platform", config=config)  # type: ignore[arg-type]


def build_eks_service(app: cdk.App, id: str, config: BaseModel) -> None:
    # The platform as a service repository sees it: imported from its SSM parameters, with the
    # platform's kubectl handler (as the skeleton does).
    stack = DeployTimeZonesStack(app, id, env=ENV)
    platform = EksPlatformImport(stack, "Platform", config=config, cluster_name="platform")  # type: ignore[arg-type]
    env = shared(stack, config)
    EksService(
        stack,
        "Service",
        config=config,  # type: ignore[arg-type]
        cluster=platform.cluster,
        vpc=platform.vpc if env is None else env.vpc,
        shared_load_balancer_security_group=None if env is None else env.load_balancer_security_group,
        oidc_issuer=platform.oidc_issuer,
        keda_operator_role=platform.keda_operator_role,
        node_architecture=platform.node_architecture,
    )


def build_service_environment(app: cdk.App, id: str, config: BaseModel) -> None:
    ServiceEnvironmentStack(app, id, config=config, env=ENV)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Axis:
    """One model: how to load its values and build a stack from them, and its profiles."""

    model: type[BaseModel]
    profiles: Mapping[str, Mapping[str, object]]
    build: Callable[[cdk.App, str, BaseModel], None]

    def load(self, values: Mapping[str, object]) -> BaseModel:
        if self.model is PortalConfig:
            return load_portal_config(values)
        return validate(self.model, values, self.model.__name__)


def _profiles(model: type[BaseModel], base: Mapping[str, object]) -> dict[str, dict[str, object]]:
    """One profile per environment when the model has one, else the model's defaults."""
    if "environment" not in model.model_fields:
        return {"default": dict(base)}
    return {env: {**base, "environment": env} for env in ENVIRONMENTS}


AXES: dict[str, Axis] = {
    "portal": Axis(PortalConfig, {"development": {"environment": "development"}, "staging": {"environment": "staging", **DOMAIN}, "production": {"environment": "production", **DOMAIN}}, build_portal),
    "lambda": Axis(LambdaServiceConfig, _profiles(LambdaServiceConfig, {"serviceName": "svc"}), build_lambda),
    "fargate": Axis(FargateServiceConfig, _profiles(FargateServiceConfig, {"serviceName": "svc"}), build_fargate),
    "eks-platform": Axis(EksPlatformConfig, _profiles(EksPlatformConfig, {}), build_eks_platform),
    "eks-service": Axis(EksServiceConfig, _profiles(EksServiceConfig, {"serviceName": "svc"}), build_eks_service),
    "service-environment": Axis(
        ServiceEnvironmentConfig,
        _profiles(ServiceEnvironmentConfig, {"domainName": "services.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}),
        build_service_environment,
    ),
}
PARAMS = [(axis, profile) for axis, spec in AXES.items() for profile in spec.profiles]


def _new_app(outdir: Path) -> cdk.App:
    os.environ.pop("CDK_CONTEXT_JSON", None)
    app = create_app(REPO_ROOT, context=TEST_CONTEXT, outdir=str(outdir))
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


def _build_all(app: cdk.App, cases: Mapping[str, tuple[str, BaseModel]], build: Callable[[cdk.App, str, BaseModel], None], crashes: list[str]) -> int:
    """Build each case as a stack of ``app``; a case that fails while building is reported and removed."""
    built = 0
    for stack_id, (label, config) in cases.items():
        try:
            build(app, stack_id, config)
        except Exception as error:  # noqa: BLE001 - any failure inside CDK is what this test reports
            crashes.append(f"{label}: {type(error).__name__}: {str(error)[:800]}")
            app.node.try_remove_child(stack_id)
        else:
            built += 1
    return built


def _synth(app: cdk.App) -> str | None:
    try:
        assembly = app.synth()
    except Exception as error:  # noqa: BLE001
        return f"{type(error).__name__}: {str(error)[:1500]}"
    stacks = [c for c in app.node.children if isinstance(c, cdk.Stack)]
    assert len(assembly.stacks) == len(stacks) and all(s.template["Resources"] for s in assembly.stacks)
    return None


@pytest.mark.parametrize(("axis", "profile"), PARAMS, ids=[f"{a}-{p}" for a, p in PARAMS])
def test_every_accepted_combination_synthesizes(axis: str, profile: str, tmp_path: Path) -> None:
    spec = AXES[axis]
    base = dict(spec.profiles[profile])
    portal_app = _portal_app_folder()
    accepted: dict[str, tuple[str, BaseModel]] = {}
    seen: set[str] = set()
    crashes: list[str] = []
    refused = overridden = 0
    for label, overrides in [("profile defaults", {}), *field_cases(spec.model)]:
        values = {**base, **{k: (portal_app if v == PORTAL_APP else v) for k, v in overrides.items()}}
        try:
            config = spec.load({k: v for k, v in values.items() if v is not None})
        except ConfigError as error:
            refused += 1
            keys = set(overrides)
            # One clear message: it names a key the case changed (or the profile's combination).
            assert any(k in str(error) for k in keys | set(base)), (label, str(error))
            weakened = _weakened_safeguards(spec.model, base, overrides)
            if not weakened:
                continue
            # Production refuses a weakened safeguard without a reason, and accepts it with one.
            assert "productionOverrides" in str(error), (label, str(error))
            label, values = f"{label} with productionOverrides", {**values, "productionOverrides": {key: OVERRIDE_REASON for key in weakened}}
            config = spec.load({k: v for k, v in values.items() if v is not None})
            overridden += 1
        except Exception as error:  # noqa: BLE001
            crashes.append(f"{label}: config raised {type(error).__name__}: {error}")
            continue
        key = config.model_dump_json()
        if key in seen:
            continue  # the same configuration as an earlier case (e.g. a profile's own default)
        seen.add(key)
        accepted[f"Case{len(accepted)}"] = (label, config)
    assert accepted, "no case was accepted"
    # One App, one synthesis and one cdk-nag pass for every case; on failure, one case at a time.
    app = _new_app(tmp_path / "all")
    if _build_all(app, accepted, spec.build, crashes) and _synth(app) is not None:
        for stack_id, (label, config) in accepted.items():
            if app.node.try_find_child(stack_id) is None:
                continue  # already reported as failing to build
            alone = _new_app(tmp_path / stack_id)
            spec.build(alone, stack_id, config)
            error = _synth(alone)
            if error is not None:
                crashes.append(f"{label}: {error}")
    print(f"{axis}/{profile}: {len(accepted)} synthesized ({overridden} with productionOverrides), {refused} refused by the config")
    assert crashes == [], "\n\n".join(crashes)
