"""Everything under catalog/, the Software Templates and every generated catalog-info.yaml pass
Backstage's own validators (tools/validate-catalog.mjs, @backstage/catalog-model)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

from .conftest import COOKIECUTTERS, NODE_BIN, Generated

VALIDATOR = REPO_ROOT / "tools" / "validate-catalog.mjs"
CATALOG_FILES = sorted((REPO_ROOT / "catalog").glob("*.yaml"))
TEMPLATES = sorted(COOKIECUTTERS.glob("*-service/template.yaml"))
UPGRADE_TEMPLATES = sorted((REPO_ROOT / "stagelift" / "upgrade" / "overlays").glob("*/template.yaml"))


def run_validator(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["node", str(VALIDATOR), *map(str, args)], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_every_entity_passes_the_backstage_validators(generated: dict[tuple[str, str], Generated]) -> None:
    catalog_infos = [repo.path / "catalog-info.yaml" for repo in generated.values()]
    result = run_validator(*CATALOG_FILES, *TEMPLATES, *catalog_infos)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_catalog_references_resolve_within_the_catalog() -> None:
    result = run_validator("--strict-refs", *CATALOG_FILES, *TEMPLATES, *UPGRADE_TEMPLATES)
    assert result.returncode == 0, result.stderr


def test_validator_reports_file_entity_and_rule(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: platform-team\n  dependsOn: [orders-table]\n"
        "---\napiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: orders-table\n  tags: [Stage-1]\nspec:\n  type: database\n  owner: platform-team\n"
    )
    result = run_validator(bad)
    assert result.returncode == 1
    assert f"{bad}: Component:default/orders: spec.dependsOn: " in result.stderr
    assert f"{bad}: Resource:default/orders-table: " in result.stderr and "Stage-1" in result.stderr


def test_all_yaml_reaches_every_catalog_file_and_every_template() -> None:
    all_yaml = REPO_ROOT / "catalog" / "all.yaml"
    (location,) = yaml.safe_load_all(all_yaml.read_text())
    assert location["kind"] == "Location"
    reached = {(all_yaml.parent / target).resolve() for target in location["spec"]["targets"]}
    expected = {p.resolve() for p in CATALOG_FILES if p != all_yaml} | {p.resolve() for p in [*TEMPLATES, *UPGRADE_TEMPLATES]}
    assert reached == expected
    assert len(TEMPLATES) == 3 and len(UPGRADE_TEMPLATES) == 2


@pytest.mark.parametrize("kind", ["Group", "Domain", "System", "Component", "Resource"])
def test_catalog_has_the_portal_entities(kind: str) -> None:
    kinds = [d["kind"] for p in CATALOG_FILES for d in yaml.safe_load_all(p.read_text()) if d]
    assert kind in kinds


def test_portal_component_depends_on_its_resources() -> None:
    docs = [d for p in CATALOG_FILES for d in yaml.safe_load_all(p.read_text()) if d]
    portal = next(d for d in docs if d["kind"] == "Component" and d["metadata"]["name"] == "backstage-portal")
    resources = {f"resource:default/{d['metadata']['name']}": d["spec"]["type"] for d in docs if d["kind"] == "Resource"}
    assert set(portal["spec"]["dependsOn"]) == set(resources)
    assert sorted(resources.values()) == ["database", "identity-provider", "s3-bucket"]


def test_validator_compiles_template_patterns_as_the_form_does(tmp_path: Path) -> None:
    bad = tmp_path / "template.yaml"
    bad.write_text(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  type: service\n  owner: platform-team\n"
        "  parameters:\n    - properties:\n        a:\n          type: string\n          pattern: '^[^\\\"]+$'\n  steps: []\n"
    )
    result = run_validator(bad)
    assert result.returncode == 1
    assert "spec.parameters[0].properties.a.pattern: not a valid JavaScript (Unicode) regular expression" in result.stderr
