"""ServiceEnvironmentConfig: each bad value is one clear message naming its key, before synthesis."""

from __future__ import annotations

import pytest

from stagelift.config import ConfigError, ServiceEnvironmentConfig, validate

BASE = {"domainName": "services.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}


def load(**changes: object) -> ServiceEnvironmentConfig:
    return validate(ServiceEnvironmentConfig, {**BASE, **changes}, "service environment")


def test_defaults() -> None:
    config = load()
    assert (config.name, config.environment, config.max_azs, config.nat_gateways, config.eks_config) == ("shared", "development", 2, 1, None)


def test_eks_takes_the_environment_and_network_of_the_environment() -> None:
    config = load(environment="production", maxAzs=3, eks={"clusterName": "services"})
    assert config.eks_config is not None
    assert (config.eks_config.environment, config.eks_config.max_azs, config.eks_config.nat_gateways) == ("production", 3, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"domainName": "Services.Example.com"}, r"domainName = 'Services.Example.com': expected Domain of the services"),
        ({"domainName": "services.example.org"}, r"domainName = 'services.example.org' is not inside hostedZoneName = 'example.com'"),
        ({"domainName": "a" * 60 + "." + "b" * 60 + "." + "c" * 60 + "." + "d" * 20 + ".example.com"}, r"domainName = .* at most 212"),
        ({"hostedZoneId": "z123"}, r"hostedZoneId = 'z123': expected Route 53 hosted zone"),
        ({"hostedZoneName": None}, r"hostedZoneName = None"),
        ({"maxAzs": 4}, r"maxAzs = 4: Input should be less than or equal to 3"),
        ({"natGateways": 3}, r"natGateways = 3 is above maxAzs = 2"),
        ({"vpcCidr": "10.0.0.0/8"}, r"vpcCidr = '10.0.0.0/8': prefix /8 is outside /16 to /24"),
        ({"name": "Shared"}, r"name = 'Shared': expected Environment name"),
        ({"eks": {"environment": "staging"}}, r"eks.environment = 'staging' differs from environment = 'development'"),
        ({"eks": {"maxAzs": 3}}, r"eks.maxAzs = 3: the platform runs in the environment's VPC, set maxAzs = 2"),
        ({"eks": {"clusterName": "X"}}, r"eks.clusterName = 'X'"),
    ],
)
def test_bad_values_name_their_key(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(**changes)


def test_missing_domain_is_named() -> None:
    with pytest.raises(ConfigError, match=r"domainName: is required"):
        validate(ServiceEnvironmentConfig, {"hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}, "service environment")


def test_readme_documents_every_parameter_and_key() -> None:
    from stagelift.parameters import EnvironmentParameter
    from tests.conftest import REPO_ROOT

    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("## Service environments", 1)[1].split("\n## ", 1)[0]
    assert [key.value for key in EnvironmentParameter if f"`{key.value}`" not in section] == []
    keys = [field.alias for field in ServiceEnvironmentConfig.model_fields.values()]
    assert [key for key in keys if f"`{key}`" not in section] == []
