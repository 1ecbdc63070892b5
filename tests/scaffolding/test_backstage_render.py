"""The Software Templates render the same skeletons the way Backstage's fetch:cookiecutter does.

fetch:cookiecutter copies the fetched folder (./skeleton) into a ``{{cookiecutter and 'contents'}}``
folder, writes the step's ``values`` as ``cookiecutter.json`` and runs cookiecutter without hooks.
This repeats that with the values a filled-in form produces (typed JSON, as the portal sends them),
so a variable the skeleton uses but the step does not pass fails here, as it would in the portal.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.main import cookiecutter
from jsonschema import Draft7Validator

from stagelift.scaffolding import TIERS
from stagelift.scaffolding.rules import coerce

from .conftest import CASES, COOKIECUTTERS
from .test_catalog import CATALOG_FILES, run_validator

REPO_URL = "github.com?owner=acme&repo={repo}"


def form_values(tier: str, answers: dict[str, object]) -> dict[str, object]:
    """``parameters`` as the portal's form submits them: typed, defaults filled, empty optionals absent."""
    spec = TIERS[tier]
    parameters: dict[str, object] = {}
    for q in spec.questions:
        if not q.in_form:
            continue
        if q.name in answers:
            parameters[q.name] = coerce(q.rule(), answers[q.name])
        elif "default" in q.schema:
            parameters[q.name] = q.schema["default"]
    parameters["repoUrl"] = REPO_URL.format(repo=answers.get("github_repo", answers["service_name"]))
    return parameters


def render_value(expression: object, parameters: dict[str, object]) -> object:
    """The few nunjucks forms the templates use: a parameter, with default(''), or parseRepoUrl."""
    if not isinstance(expression, str) or "${{" not in expression:
        return expression
    if match := re.fullmatch(r"\$\{\{ \(parameters\.repoUrl \| parseRepoUrl\)\.(owner|repo) \}\}", expression):
        query = dict(part.split("=") for part in str(parameters["repoUrl"]).split("?", 1)[1].split("&"))
        return query[match.group(1)]
    match = re.fullmatch(r"\$\{\{ parameters\.(\w+)( \| default\(''\))? \}\}", expression)
    assert match, f"unexpected expression {expression}"
    name, has_default = match.groups()
    if name not in parameters:
        assert has_default, f"{name} may be absent from the form but has no default"
        return ""
    return parameters[name]


def template_spec(tier: str) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((COOKIECUTTERS / f"{tier}-service" / "template.yaml").read_text())["spec"]
    return spec


def fetch_cookiecutter(tier: str, parameters: dict[str, object], tmp_path: Path) -> tuple[dict[str, object], Path]:
    """The rendered step values and the folder fetch:cookiecutter generates from them."""
    folder = COOKIECUTTERS / f"{tier}-service"
    (fetch,) = [s for s in template_spec(tier)["steps"] if s["action"] == "fetch:cookiecutter"]
    values = {k: render_value(v, parameters) for k, v in fetch["input"]["values"].items()}
    template_dir = tmp_path / "template"
    shutil.copytree(folder / fetch["input"]["url"], template_dir / "{{cookiecutter and 'contents'}}")
    (template_dir / "cookiecutter.json").write_text(json.dumps(values))
    return values, Path(cookiecutter(str(template_dir), no_input=True, output_dir=str(tmp_path / "out"), accept_hooks=False))


@pytest.mark.parametrize(("tier", "case"), [(t, c) for t, cases in CASES.items() for c in cases])
def test_fetch_cookiecutter_renders_the_skeleton_with_the_step_values(tier: str, case: str, tmp_path: Path) -> None:
    values, result = fetch_cookiecutter(tier, form_values(tier, dict(CASES[tier][case])), tmp_path)

    assert result.name == "contents"
    assert (result / "infra" / "app.py").is_file() and (result / ".github" / "workflows" / "deploy.yml").is_file()
    assert not (result / "cookiecutter.json").exists()
    service = str(values["service_name"])
    assert yaml.safe_load((result / "mkdocs.yml").read_text())["site_name"] == service
    validation = run_validator(result / "catalog-info.yaml")
    assert validation.returncode == 0, validation.stderr


# What the portal's pickers put in the form: OwnerPicker and EntityPicker send full entity
# references (EntityPicker even fills in the only System there is and locks the field).
PICKER_VALUES = {"owner": "group:default/platform-team", "system": "system:default/developer-portal"}


@pytest.mark.parametrize("tier", list(CASES))
def test_template_accepts_what_the_pickers_send(tier: str, tmp_path: Path) -> None:
    parameters = form_values(tier, {"service_name": f"{tier}-picked", **PICKER_VALUES})
    # The scaffolder validates each parameter page server-side (JSON Schema draft 7): a refused
    # value is the HTTP 400 a user sees when submitting the form.
    for page in template_spec(tier)["parameters"]:
        errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in Draft7Validator(page).iter_errors(parameters)]
        assert not errors, errors
    _, result = fetch_cookiecutter(tier, parameters, tmp_path)
    entities = list(yaml.safe_load_all((result / "catalog-info.yaml").read_text()))
    assert {e["spec"].get("system") for e in entities if e["kind"] in ("Component", "Resource")} == {PICKER_VALUES["system"]}
    # The references resolve against the portal's own catalog (the System and the Group exist).
    validation = run_validator("--strict-refs", *CATALOG_FILES, result / "catalog-info.yaml")
    assert validation.returncode == 0, validation.stderr
