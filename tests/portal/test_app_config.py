"""The shipped app-config.production.yaml and the task definition agree on every variable."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO_ROOT

from .conftest import synth_profile

APP_CONFIG = REPO_ROOT / "portal" / "app" / "app-config.production.yaml"


def config_variables() -> set[str]:
    lines = [line.split("#", 1)[0] for line in APP_CONFIG.read_text().splitlines()]
    return set(re.findall(r"\$\{([A-Z0-9_]+)\}", "\n".join(lines)))


def container_variables(environment: str) -> tuple[set[str], set[str]]:
    portal = synth_profile(environment, imageTag="v1")
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    backstage = next(c for c in containers if c["Name"] == "Backstage")
    return {e["Name"] for e in backstage["Environment"]}, {s["Name"] for s in backstage["Secrets"]}


def test_app_config_is_valid_yaml_with_the_portal_essentials() -> None:
    config = yaml.safe_load(APP_CONFIG.read_text())
    assert config["backend"]["database"]["client"] == "pg"
    assert config["backend"]["listen"]["port"] == 7007
    assert "oidc" in config["auth"]["providers"]
    assert config["techdocs"]["publisher"]["type"] == "awsS3"


def test_every_variable_is_provided_by_the_task_and_every_task_variable_is_used() -> None:
    wanted = config_variables()
    for environment in ("development", "production"):
        plain, secret = container_variables(environment)
        assert plain | secret == wanted, environment
        assert not plain & secret


def test_credentials_in_the_app_config_come_from_secrets() -> None:
    _, secret = container_variables("development")
    credentials = {v for v in config_variables() if re.search("PASSWORD|SECRET|CLIENT_ID|_USER$", v)}
    assert credentials and credentials <= secret
