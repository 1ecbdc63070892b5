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

import pytest
import yaml
from cookiecutter.main import cookiecutter

from stagelift.scaffolding import TIERS
from stagelift.scaffolding.rules import coerce

from .conftest import CASES, COOKIECUTTERS
from .test_catalog import run_validator

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


@pytest.mark.parametrize(("tier", "case"), [(t, c) for t, cases in CASES.items() for c in cases])
def test_fetch_cookiecutter_renders_the_skeleton_with_the_step_values(tier: str, case: str, tmp_path: Path) -> None:
    folder = COOKIECUTTERS / f"{tier}-service"
    spec = yaml.safe_load((folder / "template.yaml").read_text())["spec"]
    (fetch,) = [s for s in spec["steps"] if s["action"] == "fetch:cookiecutter"]
    parameters = form_values(tier, dict(CASES[tier][case]))
    values = {k: render_value(v, parameters) for k, v in fetch["input"]["values"].items()}

    template_dir = tmp_path / "template"
    shutil.copytree(folder / fetch["input"]["url"], template_dir / "{{cookiecutter and 'contents'}}")
    (template_dir / "cookiecutter.json").write_text(json.dumps(values))
    result = Path(cookiecutter(str(template_dir), no_input=True, output_dir=str(tmp_path / "out"), accept_hooks=False))

    assert result.name == "contents"
    assert (result / "infra" / "app.py").is_file() and (result / ".github" / "workflows" / "deploy.yml").is_file()
    assert not (result / "cookiecutter.json").exists()
    service = str(values["service_name"])
    assert yaml.safe_load((result / "mkdocs.yml").read_text())["site_name"] == service
    validation = run_validator(result / "catalog-info.yaml")
    assert validation.returncode == 0, validation.stderr
