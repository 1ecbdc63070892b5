"""The shipped app-config.production.yaml and the task definition agree on every variable."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO_ROOT

from .conftest import synth_profile

APP_CONFIG = REPO_ROOT / "portal" / "app" / "app-config.production.yaml"
GITHUB_CONFIG = REPO_ROOT / "portal" / "app" / "app-config.github.yaml"
GITHUB_APP = {"githubOrganization": "acme", "githubAppSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:backstage/github-app-AbC123"}


def variables(text: str, *, with_fallback: bool) -> set[str]:
    """${VAR} names in ``text`` outside comments; ${VAR:-default} only ``with_fallback``."""
    lines = [re.sub(r"(^|\s)#.*", "", line) for line in text.splitlines()]
    pattern = r"\$\{([A-Z0-9_]+)(:-[^}]*)?\}"
    return {name for name, fallback in re.findall(pattern, "\n".join(lines)) if with_fallback or not fallback}


def config_variables() -> set[str]:
    """Variables app-config.production.yaml needs set (a ${VAR:-default} works without)."""
    return variables(APP_CONFIG.read_text(), with_fallback=False)


def github_section_variables() -> set[str]:
    """Variables of the section app-config.github.yaml includes when a GitHub App is configured."""
    return variables(yaml.safe_dump(yaml.safe_load(GITHUB_CONFIG.read_text())["app"]), with_fallback=True)


def container_variables(environment: str, **context: object) -> tuple[set[str], set[str]]:
    portal = synth_profile(environment, imageTag="v1", **context)
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
    # Without a GitHub App the switch stays unset: app-config.github.yaml's `none` section applies.
    wanted = variables(APP_CONFIG.read_text(), with_fallback=True) - {"GITHUB_INTEGRATION"}
    for environment in ("development", "production"):
        plain, secret = container_variables(environment)
        assert plain | secret == wanted, environment
        assert not plain & secret


def test_optional_variables_are_set_by_every_task() -> None:
    # ${VAR:-default} keeps a backend started without them working; the task still sets them all.
    optional = variables(APP_CONFIG.read_text(), with_fallback=True) - config_variables()
    assert optional == {"AUTH_OIDC_SIGN_IN_RESOLVER", "GITHUB_INTEGRATION"}
    plain, _ = container_variables("development", **GITHUB_APP)
    assert optional <= plain


def test_a_github_app_task_sets_every_variable_of_the_included_github_section() -> None:
    plain, secret = container_variables("development", **GITHUB_APP)
    wanted = config_variables() | github_section_variables()
    assert plain | secret == wanted | {"AUTH_OIDC_SIGN_IN_RESOLVER", "GITHUB_INTEGRATION"}
    # The App's credentials are secrets; only the organisation's name is plain.
    assert {v for v in github_section_variables() if v.startswith("GITHUB_APP_")} <= secret
    assert github_section_variables() - secret == {"GITHUB_ORGANIZATION"}


def test_the_github_switch_selects_a_section_of_the_github_config() -> None:
    # app-config.production.yaml: `$include: app-config.github.yaml#${GITHUB_INTEGRATION:-none}.<key>`.
    includes = re.findall(r"app-config\.github\.yaml#\$\{GITHUB_INTEGRATION:-(\w+)\}\.(\w+)", APP_CONFIG.read_text())
    assert sorted(includes) == [("none", "integrations"), ("none", "providers")]
    sections = yaml.safe_load(GITHUB_CONFIG.read_text())
    plain, _ = container_variables("development", **GITHUB_APP)
    portal = synth_profile("development", imageTag="v1", **GITHUB_APP)
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    switch = next(e["Value"] for e in next(c for c in containers if c["Name"] == "Backstage")["Environment"] if e["Name"] == "GITHUB_INTEGRATION")
    for section in ("none", switch):
        assert {key for _, key in includes} <= sections[section].keys()
    assert sections["none"] == {"integrations": {}, "providers": {}}
    assert set(sections[switch]["providers"]) == {"github", "githubOrg"}
    # catalog-backend-module-github reads a `catalog.providers.github` holding a key `organization` or
    # `app` as one unnamed provider: a provider id of that name fails the backend at start-up.
    assert not {"organization", "app"} & set(sections[switch]["providers"]["github"])


def test_credentials_in_the_app_config_come_from_secrets() -> None:
    _, secret = container_variables("development")
    credentials = {v for v in config_variables() if re.search("PASSWORD|SECRET|CLIENT_ID|_USER$", v)}
    assert credentials and credentials <= secret
