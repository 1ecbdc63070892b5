"""The portal's "Upgrade service tier" Templates render the same files as `stagelift upgrade start`.

The Template's steps are replayed as the scaffolder runs them: catalog:fetch returns the Component
and its Resources as the catalog holds them (namespace, uid, etag and the catalog's own
annotations added), the step values' expressions are evaluated against them and the form's
values, and fetch:cookiecutter runs cookiecutter on ./skeleton wrapped in its
``{{cookiecutter and 'contents'}}`` folder with the values as cookiecutter.json (no hooks).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.main import cookiecutter
from jsonschema import Draft7Validator

from stagelift.scaffolding.questions import DEFAULT_STAGELIFT_REQUIREMENT
from stagelift.upgrade import commands
from stagelift.upgrade.overlay import SKELETON, TRANSITIONS, Transition
from stagelift.upgrade.repository import ServiceRepository
from tests.scaffolding.test_catalog import CATALOG_FILES, run_validator

from .conftest import tree

PICKED = {"fargate": {}, "eks": {"cluster_name": "platform", "aws_account_id": "210987654321"}}


def as_the_catalog_returns(entity: dict[str, Any], index: int) -> dict[str, Any]:
    fetched = copy.deepcopy(entity)
    fetched["metadata"].update(namespace="default", uid=f"uid-{index}", etag=f"etag-{index}")
    fetched["metadata"].setdefault("annotations", {}).update({
        "backstage.io/managed-by-location": "url:https://github.com/example-org/x/blob/main/catalog-info.yaml",
        "backstage.io/managed-by-origin-location": "url:https://github.com/example-org/x/blob/main/catalog-info.yaml",
        "backstage.io/view-url": "https://github.com/example-org/x/blob/main/catalog-info.yaml",
        "backstage.io/edit-url": "https://github.com/example-org/x/edit/main/catalog-info.yaml",
    })
    return fetched


def lookup(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for name, key in re.findall(r"\.?(\w+)|\['([^']+)'\]", path):
        value = value[name or key] if isinstance(value, dict) else getattr(value, name)
    return value


def evaluate(expression: Any, context: dict[str, Any]) -> Any:
    """The nunjucks forms the upgrade Templates use: a path, | default(...), .split('/')[i], text around them."""
    if isinstance(expression, dict):
        return {k: evaluate(v, context) for k, v in expression.items()}
    if not isinstance(expression, str) or "${{" not in expression:
        return expression

    def one(body: str) -> Any:
        body = body.strip()
        if match := re.fullmatch(r"(.+?) \| default\((.*)\)", body):
            try:
                return lookup(context, match.group(1))
            except KeyError:
                return json.loads(match.group(2).replace("'", '"'))
        if match := re.fullmatch(r"(.+?)\.split\('/'\)\[(\d)\]", body):
            return lookup(context, match.group(1)).split("/")[int(match.group(2))]
        return lookup(context, body)

    if match := re.fullmatch(r"\$\{\{(.+?)\}\}", expression):
        return one(match.group(1))
    return re.sub(r"\$\{\{(.+?)\}\}", lambda m: str(one(m.group(1))), expression)


def form_values(t: Transition, component_ref: str) -> dict[str, Any]:
    parameters: dict[str, Any] = {"component": component_ref}
    for q in t.questions():
        if q.name in PICKED[t.to_tier]:
            parameters[q.name] = PICKED[t.to_tier][q.name]
        elif "default" in q.schema:
            parameters[q.name] = q.schema["default"]
    return parameters


def render_template(t: Transition, repo: Path, tmp_path: Path) -> tuple[dict[str, str], dict[str, Any]]:
    template = yaml.safe_load((t.folder / "template.yaml").read_text())
    documents = [d for d in yaml.safe_load_all((repo / "catalog-info.yaml").read_text()) if d]
    component = next(d for d in documents if d["kind"] == "Component")
    parameters = form_values(t, f"component:default/{component['metadata']['name']}")
    for page in template["spec"]["parameters"]:
        form = {"type": "object", **{k: v for k, v in page.items() if k != "title"}}
        errors = [e.message for e in Draft7Validator(form).iter_errors({k: v for k, v in parameters.items() if k in page["properties"]})]
        assert not errors, errors
    steps = {s["id"]: s for s in template["spec"]["steps"]}
    assert [s["action"] for s in template["spec"]["steps"]] == ["catalog:fetch", "catalog:fetch", "fetch:cookiecutter", "publish:github:pull-request"]
    context: dict[str, Any] = {"parameters": parameters, "steps": {}}
    assert evaluate(steps["component"]["input"]["entityRef"], context) == parameters["component"]
    context["steps"]["component"] = {"output": {"entity": as_the_catalog_returns(component, 0)}}
    refs = evaluate(steps["resources"]["input"]["entityRefs"], context)
    by_ref = {f"{d['kind'].lower()}:{d['metadata']['name']}": d for d in documents}
    context["steps"]["resources"] = {"output": {"entities": [as_the_catalog_returns(by_ref[r], i + 1) for i, r in enumerate(refs)]}}
    fetch = steps["fetch"]["input"]
    values = evaluate(fetch["values"], context)
    work = tmp_path / "fetch-cookiecutter"
    shutil.copytree(t.folder / fetch["url"].removeprefix("./"), work / "{{cookiecutter and 'contents'}}")
    (work / "cookiecutter.json").write_text(json.dumps(values))
    out = Path(cookiecutter(str(work), no_input=True, output_dir=str(tmp_path / "portal-out"), accept_hooks=False))
    files = {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}
    publish = {k: evaluate(v, context) for k, v in steps["publish"]["input"].items()}
    return files, publish


@pytest.mark.parametrize("to", ["fargate", "eks"])
def test_template_renders_what_the_cli_writes(service: Callable[..., Path], tmp_path: Path, to: str) -> None:
    t = TRANSITIONS[to]
    repo = service(t.from_tier, stagelift_requirement=DEFAULT_STAGELIFT_REQUIREMENT, **({"enable_table": True} if t.from_tier == "lambda" else {"enable_redis": True}))
    portal, publish = render_template(t, repo, tmp_path)
    before = tree(repo)
    written = commands.start(ServiceRepository(repo), to=to, settings=PICKED[to], now=datetime.now(timezone.utc))
    after = tree(repo)
    cli = {path: after[path] for path in written}
    assert cli == portal
    assert set(written) == {p for p in after if before.get(p) != after[p]}
    assert publish["repoUrl"] == f"github.com?owner=example-org&repo={repo.name}"
    # The pull request's catalog-info.yaml is valid for Backstage.
    (tmp_path / "catalog-info.yaml").write_text(portal["catalog-info.yaml"])
    result = run_validator("--strict-refs", *CATALOG_FILES, tmp_path / "catalog-info.yaml")
    assert result.returncode == 0, result.stderr


def test_entity_picker_offers_only_services_on_the_tier_to_leave() -> None:
    for t in TRANSITIONS.values():
        template = yaml.safe_load((t.folder / "template.yaml").read_text())
        picker = template["spec"]["parameters"][0]["properties"]["component"]
        assert picker["ui:field"] == "EntityPicker"
        assert picker["ui:options"]["catalogFilter"] == [{"kind": "Component", "metadata.annotations.stagelift.io/tier": t.from_tier}]
        assert (t.folder / SKELETON / "infra" / "migration.json").is_file()
