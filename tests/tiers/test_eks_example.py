"""The EKS example app synthesizes offline with cdk-nag registered, and its checked-in manifests are current."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import kubernetes_validate
import pytest
import yaml

from tests.conftest import REPO_ROOT

APP = REPO_ROOT / "examples" / "eks_service" / "app.py"
STACKS = ("EksPlatform", "EksPlatformKarpenter", "EksOrders", "EksCatalog", "EksStatus")


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eks_service_example", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return _load_example()


@pytest.fixture(scope="module")
def cloud_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("cdk.out")
    env = {k: v for k, v in os.environ.items() if k != "CDK_CONTEXT_JSON"}
    env["CDK_OUTDIR"] = str(outdir)
    result = subprocess.run([sys.executable, str(APP)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return outdir


def test_every_stack_is_synthesized(cloud_assembly: Path) -> None:
    for stack in STACKS:
        assert (cloud_assembly / f"{stack}.template.json").is_file(), stack


def test_synthesis_needed_no_lookup(cloud_assembly: Path) -> None:
    manifest = json.loads((cloud_assembly / "manifest.json").read_text())
    assert "missing" not in manifest


def test_cdk_nag_ran_and_acknowledgments_are_recorded(cloud_assembly: Path) -> None:
    metadata = json.loads((cloud_assembly / "EksPlatform.metadata.json").read_text())
    rules = {rule for entries in metadata.values() for e in entries if e["type"] == "aws:cdk:acknowledged-rules" for rule in e["data"]}
    assert any(r.startswith("Annotation::AwsSolutions-IAM4[") for r in rules)


def test_every_tier_option_is_used_once(example: ModuleType) -> None:
    from stagelift.config import EksPlatformConfig, EksServiceConfig

    platforms = [example.PLATFORM, example.KARPENTER_PLATFORM]
    services = [example.ORDERS, example.CATALOG, example.STATUS]
    platform_keys = {k for p in platforms for k in p}
    service_keys = {k for s in services for k in s}
    assert {f.alias for f in EksPlatformConfig.model_fields.values()} <= platform_keys
    assert {f.alias for f in EksServiceConfig.model_fields.values()} <= service_keys
    assert {s.get("ingressClass") for s in services} == {"alb", "nginx", "traefik"}
    assert {s.get("podIdentity", "pod-identity") for s in services} == {"pod-identity", "irsa"}
    assert {p.get("nodeProvisioning", "managed-node-group") for p in platforms} == {"managed-node-group", "karpenter"}


def test_checked_in_manifests_are_what_the_app_renders(example: ModuleType, tmp_path: Path) -> None:
    app = example.build_app(outdir=str(tmp_path / "cdk.out"))
    fresh = tmp_path / "k8s"
    example.write_example_manifests(app, fresh)
    checked_in = example.K8S_DIR
    rendered = sorted(p.relative_to(fresh) for p in fresh.rglob("*.yaml"))
    assert rendered == sorted(p.relative_to(checked_in) for p in checked_in.rglob("*.yaml")), "run: python examples/eks_service/app.py --write-manifests"
    for path in rendered:
        assert (fresh / path).read_text() == (checked_in / path).read_text(), f"{path} is stale: run python examples/eks_service/app.py --write-manifests"


def test_checked_in_core_manifests_are_valid_kubernetes(example: ModuleType) -> None:
    files = sorted(example.K8S_DIR.rglob("*.yaml"))
    assert len(files) >= 21
    for path in files:
        manifest = yaml.safe_load(path.read_text())
        if manifest["apiVersion"] in ("keda.sh/v1alpha1", "argoproj.io/v1alpha1"):
            assert manifest["metadata"]["name"] and manifest["spec"]
            continue
        kubernetes_validate.validate(manifest, "1.34", strict=True)
