"""Logical ids of the stateful resources every portal profile and tier example synthesizes.

CloudFormation replaces a resource whose logical id changes: for a database, bucket, secret,
user pool, repository, key, log group, table or queue that means data lost. The test
``tests/test_stateful_ids.py`` compares what the current code synthesizes with the ids of the
last release, kept in ``tests/data/stateful_logical_ids.json``.

Regenerate the baseline from a release's source tree (never from the working tree, or the
check compares the code with itself)::

    mkdir -p /tmp/base && git archive <release-commit> | tar -x -C /tmp/base
    .venv/bin/python -m tests.stateful_ids /tmp/base > tests/data/stateful_logical_ids.json

The collector runs each source tree in its own Python process (``PYTHONPATH=<tree>``), so the
release's ``stagelift`` is imported, not the installed one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# Resource types that hold data or identity: replacing one loses data, history or keys.
STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::SecretsManager::Secret",
        "AWS::S3::Bucket",
        "AWS::Cognito::UserPool",
        "AWS::ECR::Repository",
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::SQS::Queue",
        "AWS::EFS::FileSystem",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::MSK::Cluster",
        "AWS::MSK::ServerlessCluster",
        "AWS::EKS::Cluster",
        "Custom::AWSCDK-EKS-Cluster",
    }
)

# Portal configurations: the three profiles, plus development with every optional stateful
# piece switched on (WAF logs, rotation, endpoints).
_DOMAIN = {"domainName": "backstage.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}
PORTAL_CONFIGURATIONS: dict[str, dict[str, object]] = {
    "development": {"environment": "development"},
    "staging": {"environment": "staging", **_DOMAIN},
    "production": {"environment": "production", **_DOMAIN},
    "development-all-options": {"environment": "development", "waf": True, "rotateDatabaseCredentials": True, "vpcEndpoints": True, "alarmEmail": "ops@example.com"},
}
EXAMPLES: tuple[str, ...] = ("lambda_service", "fargate_service", "eks_service", "service_environment", "tiered_service")

# Synthesizes the portal for each configuration inside the tree given by PYTHONPATH.
_PORTAL_SCRIPT = """
import json, sys
from pathlib import Path
from stagelift.cdk_app import create_app
from stagelift.config import load_portal_config
from stagelift.stacks.portal_stack import PortalStack
root, outdir, context = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
app = create_app(root, context={"aws:cdk:bundling-stacks": [], **context}, outdir=outdir)
PortalStack(app, config=load_portal_config(app.node.get_all_context()))
app.synth()
"""


def _environment(root: Path, outdir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        PYTHONPATH=str(root),
        CDK_OUTDIR=outdir,
        AWS_EC2_METADATA_DISABLED="true",
        JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="1",
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
    )
    return env


def _stateful(outdir: Path) -> dict[str, dict[str, str]]:
    """``{template file: {logical id: type}}`` of the stateful resources in a cloud assembly."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(outdir.glob("*.template.json")):
        resources = json.loads(path.read_text()).get("Resources", {})
        stateful = {lid: r["Type"] for lid, r in sorted(resources.items()) if r["Type"] in STATEFUL_TYPES}
        if stateful:
            found[path.name.removesuffix(".template.json")] = stateful
    return found


def _run(command: list[str], root: Path, outdir: str) -> None:
    result = subprocess.run(command, cwd=outdir, env=_environment(root, outdir), capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed:\n{result.stderr[-4000:]}")


def collect(root: Path) -> dict[str, dict[str, dict[str, str]]]:
    """``{configuration: {stack: {logical id: type}}}`` for every portal configuration and example of ``root``."""
    root = root.resolve()
    collected: dict[str, dict[str, dict[str, str]]] = {}
    for name, context in PORTAL_CONFIGURATIONS.items():
        with tempfile.TemporaryDirectory() as outdir:
            _run([sys.executable, "-c", _PORTAL_SCRIPT, str(root), outdir, json.dumps(context)], root, outdir)
            collected[f"portal/{name}"] = _stateful(Path(outdir))
    for example in EXAMPLES:
        with tempfile.TemporaryDirectory() as outdir:
            _run([sys.executable, str(root / "examples" / example / "app.py")], root, outdir)
            collected[f"examples/{example}"] = _stateful(Path(outdir))
    return collected


if __name__ == "__main__":
    print(json.dumps(collect(Path(sys.argv[1])), indent=1, sort_keys=True))
