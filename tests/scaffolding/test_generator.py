"""One source of truth: cookiecutter.json, the Software Templates and the hooks come from the
configuration models, are checked in, and match what the generator writes today."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from stagelift.config import FARGATE_MEMORY_BY_CPU, EksServiceConfig, FargateServiceConfig, LambdaServiceConfig
from stagelift.scaffolding import TIERS, check_answers, stale_files
from stagelift.scaffolding.generate import SKELETON_FOLDER
from tests.conftest import REPO_ROOT

from .conftest import COOKIECUTTERS, cookiecutter_defaults

TIER_NAMES = list(TIERS)


def template(tier: str) -> dict:
    return yaml.safe_load((COOKIECUTTERS / f"{tier}-service" / "template.yaml").read_text())


def cookiecutter_json(tier: str) -> dict:
    return json.loads((COOKIECUTTERS / f"{tier}-service" / "cookiecutter.json").read_text())


def test_checked_in_files_match_the_generator() -> None:
    stale = [str(p.relative_to(REPO_ROOT)) for p in stale_files(REPO_ROOT)]
    assert stale == [], "run: python -m stagelift.scaffolding"


def test_cli_check_mode_passes() -> None:
    result = subprocess.run([sys.executable, "-m", "stagelift.scaffolding", "--check"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_cli_check_mode_reports_drift_and_rewrite_fixes_it(tmp_path: Path) -> None:
    shutil.copytree(COOKIECUTTERS, tmp_path / "cookiecutters", symlinks=True)
    # The upgrade overlays are generated too (stagelift/upgrade/overlay.py).
    shutil.copytree(REPO_ROOT / "stagelift" / "upgrade" / "overlays", tmp_path / "stagelift" / "upgrade" / "overlays")
    shutil.copy(REPO_ROOT / "cdk.json", tmp_path / "cdk.json")
    edited = tmp_path / "cookiecutters" / "lambda-service" / "cookiecutter.json"
    edited.write_text(edited.read_text().replace('"timeout_seconds": 30', '"timeout_seconds": 31'))
    cli = [sys.executable, "-m", "stagelift.scaffolding", "--root", str(tmp_path)]
    result = subprocess.run([*cli, "--check"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "out of date: cookiecutters/lambda-service/cookiecutter.json" in result.stderr
    assert subprocess.run(cli, capture_output=True, text=True).stdout == "wrote cookiecutters/lambda-service/cookiecutter.json\n"
    assert subprocess.run([*cli, "--check"]).returncode == 0


@pytest.mark.parametrize(
    ("tier", "name", "model"),
    [("lambda", "timeout_seconds", LambdaServiceConfig), ("lambda", "memory_mib", LambdaServiceConfig), ("fargate", "desired_count", FargateServiceConfig), ("eks", "replicas", EksServiceConfig)],
)
def test_bounds_and_defaults_come_from_the_model(tier: str, name: str, model: type) -> None:
    field = model.model_json_schema(by_alias=False)["properties"][name]
    (prop,) = [page["properties"][name] for page in template(tier)["spec"]["parameters"] if name in page["properties"]]
    assert (prop["minimum"], prop["maximum"], prop["default"]) == (field["minimum"], field["maximum"], field["default"])
    assert cookiecutter_json(tier)[name] == field["default"]


def test_fargate_cpu_choices_are_the_sizes_fargate_accepts() -> None:
    props = {k: v for page in template("fargate")["spec"]["parameters"] for k, v in page["properties"].items()}
    assert props["cpu"]["enum"] == list(FARGATE_MEMORY_BY_CPU)
    assert set(props["memory_mib"]["enum"]) == {m for ms in FARGATE_MEMORY_BY_CPU.values() for m in ms}


def test_string_enums_are_cookiecutter_choices_with_the_default_first() -> None:
    assert cookiecutter_json("lambda")["runtime"] == ["python3.13", "python3.14"]
    assert cookiecutter_json("eks")["ingress_class"][0] == "alb"


@pytest.mark.parametrize("tier", TIER_NAMES)
def test_parameter_schemas_are_valid_json_schema_and_accept_their_defaults(tier: str) -> None:
    for page in template(tier)["spec"]["parameters"]:
        schema = {k: v for k, v in page.items() if k != "title"}
        schema["properties"] = {n: {k: v for k, v in p.items() if not k.startswith("ui:")} for n, p in schema["properties"].items()}
        jsonschema.Draft7Validator.check_schema(schema)
        for prop in schema["properties"].values():
            if "pattern" in prop:
                re.compile(prop["pattern"])
            if "default" in prop:
                jsonschema.validate(prop["default"], prop)


@pytest.mark.parametrize("tier", TIER_NAMES)
def test_json_schema_refuses_what_the_hook_refuses(tier: str) -> None:
    props = {k: v for page in template(tier)["spec"]["parameters"] for k, v in page["properties"].items()}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("Bad_Name", props["service_name"])
    assert check_answers(tier, {**cookiecutter_defaults(tier), "service_name": "Bad_Name"})


@pytest.mark.parametrize("tier", TIER_NAMES)
def test_fetch_step_maps_every_parameter_and_every_cookiecutter_variable(tier: str) -> None:
    spec = template(tier)["spec"]
    (fetch,) = [s for s in spec["steps"] if s["action"] == "fetch:cookiecutter"]
    values = fetch["input"]["values"]
    parameters = {name for page in spec["parameters"] for name in page["properties"]}
    referenced = set(re.findall(r"parameters\.(\w+)", json.dumps(spec["steps"])))
    assert parameters <= referenced
    assert set(values) == {k for k in cookiecutter_json(tier) if not k.startswith("_")}
    for name in parameters - {"repoUrl"}:
        assert re.fullmatch(rf"\$\{{\{{ parameters\.{name}( \| default\(''\))? \}}\}}", values[name]), values[name]


@pytest.mark.parametrize("tier", TIER_NAMES)
def test_fetch_url_is_the_skeleton_inside_the_template_folder(tier: str) -> None:
    folder = COOKIECUTTERS / f"{tier}-service"
    spec = template(tier)["spec"]
    (fetch,) = [s for s in spec["steps"] if s["action"] == "fetch:cookiecutter"]
    url = fetch["input"]["url"]
    assert url == f"./{SKELETON_FOLDER}" and ".." not in url
    skeleton = (folder / url).resolve()
    assert skeleton.is_dir() and skeleton.parent == folder.resolve()
    assert (skeleton / "catalog-info.yaml").is_file(), "the fetched folder's children are the repository's files"
    # The cookiecutter CLI needs a {{cookiecutter.*}} folder: a link to the same skeleton, not a copy.
    link = folder / "{{cookiecutter|checked_service_folder}}"
    assert link.is_symlink() and os.readlink(link) == SKELETON_FOLDER
    assert not (skeleton / "cookiecutter.json").exists(), "fetch:cookiecutter would merge it into the output"


@pytest.mark.parametrize("tier", TIER_NAMES)
def test_template_publishes_registers_and_links(tier: str) -> None:
    spec = template(tier)["spec"]
    actions = [s["action"] for s in spec["steps"]]
    assert actions == ["fetch:cookiecutter", "publish:github", "catalog:register"]
    publish, register = spec["steps"][1], spec["steps"][2]
    assert publish["input"]["repoUrl"] == "${{ parameters.repoUrl }}"
    assert register["input"] == {"repoContentsUrl": "${{ steps['publish'].output.repoContentsUrl }}", "catalogInfoPath": "/catalog-info.yaml"}
    repo_url = next(p["properties"]["repoUrl"] for p in spec["parameters"] if "repoUrl" in p["properties"])
    assert repo_url["ui:field"] == "RepoUrlPicker"
    assert {link["title"] for link in spec["output"]["links"]} == {"Repository", "Open in catalog"}


def test_fargate_form_accepts_exactly_the_cpu_memory_pairs_fargate_accepts() -> None:
    (page,) = [p for p in template("fargate")["spec"]["parameters"] if "cpu" in p["properties"]]
    schema = {k: v for k, v in page.items() if k != "title"}
    schema["properties"] = {n: {k: v for k, v in p.items() if not k.startswith("ui:")} for n, p in page["properties"].items()}
    validator = jsonschema.Draft7Validator(schema)
    defaults = {n: p["default"] for n, p in schema["properties"].items() if "default" in p}
    memories = sorted({m for ms in FARGATE_MEMORY_BY_CPU.values() for m in ms})
    for cpu, allowed in FARGATE_MEMORY_BY_CPU.items():
        for memory in memories:
            valid = validator.is_valid({**defaults, "cpu": cpu, "memory_mib": memory})
            assert valid == (memory in allowed), (cpu, memory)


HTTPS_ANSWERS = [
    {},
    {"domain_name": "orders.example.com"},
    {"domain_name": "orders.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ", "hosted_zone_name": "example.com"},
    {"domain_name": "orders.example.com", "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"},
    {"domain_name": "orders.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"},
    {"hosted_zone_id": "Z0123456789ABCDEFGHIJ", "hosted_zone_name": "example.com"},
]


@pytest.mark.parametrize("https", HTTPS_ANSWERS)
@pytest.mark.parametrize("environment", ["development", "production"])
@pytest.mark.parametrize("service_environment", ["standalone", "shared"])
def test_fargate_form_asks_for_https_in_production_as_the_model_does(environment: str, https: dict[str, str], service_environment: str) -> None:
    (page,) = [p for p in template("fargate")["spec"]["parameters"] if "environment" in p["properties"]]
    assert {"domain_name", "hosted_zone_id", "hosted_zone_name", "certificate_arn"} <= set(page["properties"])
    schema = {k: v for k, v in page.items() if k != "title"}
    schema["properties"] = {n: {k: v for k, v in p.items() if not k.startswith("ui:")} for n, p in page["properties"].items()}
    answers = {"service_name": "orders", "environment": environment, "service_environment": service_environment, **https}
    form_valid = jsonschema.Draft7Validator(schema).is_valid({"description": "Orders", "owner": "platform-team", **answers})
    model_valid = not check_answers("fargate", {**cookiecutter_defaults("fargate"), "github_repo": "orders", **answers})
    assert form_valid == model_valid
    if environment == "production" and not https:
        # Standalone, the service's own load balancer needs a domain for HTTPS; a service
        # environment serves <service>.<its domain> with its wildcard certificate.
        assert form_valid == (service_environment == "shared")
