"""`make e2e`: the backend with a GitHub App configured, as the task definition configures it.

The App is fake (a throw-away RSA key made here, made-up ids) and nothing calls GitHub: the test
overlay app-config.e2e-github.yaml puts each provider's first run a day ahead, and the test checks
through the scheduler that no refresh ran. What it proves: with the App's secrets set, the
production config includes app-config.github.yaml's `app` section, the backend starts, and the
catalog registers the repository discovery and org providers on their schedules; the scaffolder
offers publish:github and publish:github:pull-request; sign-in uses the resolver the task names
(here emailLocalPartMatchingUserEntityName, for orgs whose e-mails the App cannot read).
"""

from __future__ import annotations

import datetime
import http.cookiejar
import json
import re
import secrets
import urllib.parse
import urllib.request
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stagelift.constructs.portal.database import APP_USERNAME

from .oidc_standin import OidcStandIn
from .portal import (
    ARTIFACTS,
    BASE_URL,
    E2E,
    GITHUB_PROVIDER_TASKS,
    WORK,
    Backend,
    Postgres,
    api,
    build_app,
    image_root,
    log,
    make_certificates,
    readiness,
    scheduled_tasks,
)
from .test_portal import all_entities, application_env, create_users, ref_of

ORGANIZATION = "stagelift-e2e"
GITHUB_APP = {
    "githubOrganization": ORGANIZATION,
    "githubAppSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:backstage/github-app-AbC123",
    "signInResolver": "emailLocalPartMatchingUserEntityName",
}
# The fixture User e2e-user has spec.profile.email e2e-user@example.com: this address matches it by
# its local part only, so sign-in succeeds with the configured resolver and not with the default.
SIGN_IN_EMAIL = "e2e-user@corp.example"


def fake_app() -> dict[str, str]:
    """Local values of the App's secrets: what `backstage-cli create-github-app` would give."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    return {
        "GITHUB_APP_ID": "123456",
        "GITHUB_APP_CLIENT_ID": "Iv1.e2e0000000000000",
        "GITHUB_APP_CLIENT_SECRET": secrets.token_hex(20),
        "GITHUB_APP_WEBHOOK_SECRET": secrets.token_hex(16),
        "GITHUB_APP_PRIVATE_KEY": pem.decode(),
    }


@dataclass
class GitHubSession:
    backend: Backend
    token: str
    boot_seconds: float


@pytest.fixture(scope="module")
def github_session() -> Iterator[GitHubSession]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    log(f"build: {build_app():.0f} s")
    shutil.rmtree(WORK / "postgres-github", ignore_errors=True)
    certificates = make_certificates(WORK / "tls-github")
    postgres = Postgres(WORK / "postgres-github", certificates)
    postgres.start()
    password = secrets.token_urlsafe(18)
    create_users(postgres, {APP_USERNAME: password})
    oidc = OidcStandIn(client_id="e2e-client", email=SIGN_IN_EMAIL, name="E2E User").start()
    token = secrets.token_urlsafe(32)
    env = application_env(postgres, oidc, certificates.ca_file, APP_USERNAME, password, token, context=GITHUB_APP, secret_values=fake_app())
    # As the template sets them:
    assert env["GITHUB_INTEGRATION"] == "app" and env["GITHUB_ORGANIZATION"] == ORGANIZATION
    assert env["AUTH_OIDC_SIGN_IN_RESOLVER"] == "emailLocalPartMatchingUserEntityName"
    backend = Backend(env, "github", image_root(), overlays=(E2E / "app-config.e2e-github.yaml",))
    try:
        started = time.monotonic()
        backend.start()
        backend.wait_ready()
        boot = time.monotonic() - started
        log(f"backend with the GitHub App ready after {boot:.0f} s")
        yield GitHubSession(backend, token, boot)
    finally:
        backend.stop()
        postgres.stop()
        oidc.stop()
        for log_file in WORK.glob("*github*.log"):
            shutil.copy(log_file, ARTIFACTS / log_file.name)


def test_backend_with_a_github_app_is_ready(github_session: GitHubSession) -> None:
    assert readiness() == 200


def test_catalog_registers_the_github_providers_on_their_schedules(github_session: GitHubSession) -> None:
    tasks = scheduled_tasks(github_session.token)
    assert set(GITHUB_PROVIDER_TASKS) <= set(tasks), sorted(tasks)
    # The shipped cadences (app-config.github.yaml): discovery every 30 minutes, the org every hour.
    assert tasks["github-provider:stagelift:refresh"]["settings"]["cadence"] == "PT30M"
    assert tasks["GithubMultiOrgEntityProvider:stagelift:refresh"]["settings"]["cadence"] == "PT1H"


def test_no_provider_ran_against_github(github_session: GitHubSession) -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    tasks = scheduled_tasks(github_session.token)
    for task_id in GITHUB_PROVIDER_TASKS:
        state = tasks[task_id]["taskState"]
        assert state["status"] == "idle" and not state.get("lastRunEndedAt"), (task_id, state)
        assert datetime.datetime.fromisoformat(state["startsAt"]) > now + datetime.timedelta(hours=12), (task_id, state)
    assert "refresh failed" not in github_session.backend.logfile.read_text(errors="replace")


def test_scaffolder_offers_the_github_publish_actions(github_session: GitHubSession) -> None:
    status, body = api(github_session.token, "GET", "/api/scaffolder/v2/actions")
    assert status == 200, body
    assert isinstance(body, list)
    assert {"publish:github", "publish:github:pull-request"} <= {action["id"] for action in body}


def sign_in_response() -> dict[str, object]:
    """The OIDC popup flow without a browser: start, the stand-in's redirect back, and the
    response the handler page posts to the app (URI-encoded JSON in its script)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    query = urllib.parse.urlencode({"env": "production", "origin": BASE_URL})
    with opener.open(f"{BASE_URL}/api/auth/oidc/start?{query}", timeout=60) as response:
        page = response.read().decode()
    encoded = re.search(r"var authResponse = decodeURIComponent\('([^']*)'\)", page)
    assert encoded, page[:2000]
    return dict(json.loads(urllib.parse.unquote(encoded.group(1))))


def test_sign_in_uses_the_configured_resolver(github_session: GitHubSession) -> None:
    deadline = time.monotonic() + 240
    while "user:default/e2e-user" not in {ref_of(e) for e in all_entities(github_session.token)}:
        assert time.monotonic() < deadline, "the fixture user was never ingested"
        time.sleep(3)
    response = sign_in_response()
    assert response["type"] == "authorization_response", response
    # With the default resolver this e-mail finds no User, and the response holds an `error` instead.
    assert "error" not in response, response["error"]
    identity = response["response"]["backstageIdentity"]["identity"]  # type: ignore[index]
    assert identity["userEntityRef"] == "user:default/e2e-user"
