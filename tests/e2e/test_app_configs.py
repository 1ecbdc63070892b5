"""`make e2e`: the production app-config passes `backstage-cli config:check` for every combination
of the portal's options that changes what the task sets: no GitHub, GitHub App, federation with
the company's identity provider, both (with the other sign-in resolver).

It needs the app's node_modules (every plugin's config schema), not a running backend, so it runs
after the build and before any backend starts. Each combination's variables are read off its
synthesized task definition: a plain setting the template spells out (the GitHub switch, the
organisation, the sign-in resolver) with its value, the rest with a local stand-in.
"""

from __future__ import annotations

import subprocess

import pytest

from .portal import APP, WORK, build_app, log, node_env, task_definition_values

GITHUB_APP = {
    "githubOrganization": "acme",
    "githubAppSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:backstage/github-app-AbC123",
}
FEDERATION = {
    "oidcIssuer": "https://idp.example.com/oauth2/default",
    "oidcClientId": "0oa1b2c3d4portal",
    "oidcClientSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:portal/oidc-client-AbCdEf",
    "localUsers": False,
}
COMBINATIONS: dict[str, dict[str, object]] = {
    "no-github": {},
    "github": GITHUB_APP,
    "federation": FEDERATION,
    "github-federation": {**GITHUB_APP, **FEDERATION, "signInResolver": "emailLocalPartMatchingUserEntityName"},
}
STAND_INS = {
    "PORTAL_BASE_URL": "https://backstage.example.com",
    "POSTGRES_HOST": "portal.cluster.example.com",
    "AUTH_OIDC_METADATA_URL": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example/.well-known/openid-configuration",
    "TECHDOCS_BUCKET": "portal-techdocs",
    "GITHUB_APP_ID": "123456",
}


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    log(f"build: {build_app():.0f} s")


def task_environment(context: dict[str, object]) -> dict[str, str]:
    plain, secret = task_definition_values(**context)
    values = {name: value for name, value in plain.items() if isinstance(value, str)}
    for name in [*plain, *secret]:
        values.setdefault(name, STAND_INS.get(name, f"e2e-{name.lower()}"))
    return values


def config_check(variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only the variables under test: none of the caller's (a GITHUB_* in the shell must not leak in).
    base = {k: v for k, v in node_env().items() if not k.startswith(("GITHUB_", "AUTH_", "POSTGRES_", "PORTAL_", "TECHDOCS_"))}
    return subprocess.run(
        # --package backend: the schemas of everything the backend bundles; --strict: unknown keys too.
        ["yarn", "backstage-cli", "config:check", "--package", "backend", "--strict", "--config", "app-config.yaml", "--config", "app-config.production.yaml"],
        cwd=APP, env={**base, **variables, "PATH": f"{WORK / 'bin'}:{base['PATH']}"}, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_production_config_passes_config_check(combination: str) -> None:
    variables = task_environment(COMBINATIONS[combination])
    assert ("GITHUB_INTEGRATION" in variables) == ("githubAppSecretArn" in COMBINATIONS[combination])
    result = config_check(variables)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_github_section_without_the_apps_secrets_fails_the_check() -> None:
    # Why app-config.github.yaml is included only when the task sets the switch: a ${VAR} that is
    # unset drops its key, and an App entry without privateKey is invalid. The check sees it.
    variables = task_environment(GITHUB_APP)
    del variables["GITHUB_APP_PRIVATE_KEY"]
    result = config_check(variables)
    assert result.returncode != 0
    assert "privateKey" in result.stdout + result.stderr
