"""``stagelift upgrade start | shift | rollback | finish``: each reads the repository, refuses an
unsafe move with an :class:`UpgradeError`, and otherwise writes all its changes at once.

The clock (``now``) and the CloudWatch client are parameters, so the gates are testable.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from stagelift import catalog
from stagelift.config import STAGE_BY_TIER
from stagelift.config.errors import ConfigError
from stagelift.config.migration import NEXT_TIER, TierMigration

from .errors import UpgradeError
from .gates import alarm_problems, bake_problem, gate_alarm_names
from .overlay import SKELETON, Transition, render_entities, transition_to
from .repository import CATALOG, MIGRATION, ServiceRepository

SHIFT_WORKFLOW = ".github/workflows/upgrade.yml"


def _migration(files: Any) -> TierMigration:
    if files.migration is None:
        tier = files.tiers[0].tier
        raise UpgradeError(f"no migration under way ({MIGRATION} is absent; the service runs on {tier}): start one with stagelift upgrade start --to {NEXT_TIER.get(tier, '?')}")
    return files.migration


def overlay_inputs(repo: ServiceRepository, t: Transition, settings: Mapping[str, str]) -> dict[str, object]:
    """The overlay's inputs as the portal gives them: the Component, its Resources, the new tier's answers."""
    from stagelift.scaffolding.rules import coerce

    entities = repo.catalog()
    questions = {q.name: q for q in t.questions()}
    unknown = sorted(set(settings) - set(questions))
    if unknown:
        raise UpgradeError(f"--set {', '.join(unknown)}: not an answer of the {t.to_tier} tier; allowed: {', '.join(questions)}")
    inputs: dict[str, object] = {
        "component": entities.component,
        "resources": {"entities": entities.resources()},
        "stagelift_requirement": repo.stagelift_requirement(),
    }
    # The scalars the overlay's files use, from the entity by the same paths cookiecutter.json
    # documents (cookiecutter renders dictionary variables after the others, so it cannot derive them).
    from jinja2 import Environment, StrictUndefined

    from .overlay import ENTITY_INPUTS

    env = Environment(undefined=StrictUndefined)
    for name, (path, _) in ENTITY_INPUTS.items():
        inputs[name] = env.from_string("{{ " + path + " }}").render(cookiecutter={"component": entities.component})
    for name, text in settings.items():
        try:
            inputs[name] = coerce(questions[name].rule(), text)
        except (TypeError, ValueError):
            raise UpgradeError(f"--set {name}={text!r}: expected a {questions[name].type}") from None
    return inputs


def render_overlay(t: Transition, inputs: Mapping[str, object], output: Path) -> Path:
    """Render the transition's overlay with the cookiecutter API into ``output``; returns the rendered folder."""
    from stagelift.extras import require

    main = require("cookiecutter.main", "upgrade", "stagelift upgrade start")
    template = output / "template"
    shutil.copytree(t.folder / SKELETON, template / "{{cookiecutter.service_name}}", symlinks=False)
    shutil.copy(t.folder / "cookiecutter.json", template / "cookiecutter.json")
    rendered = main.cookiecutter(str(template), no_input=True, extra_context=dict(inputs), output_dir=str(output / "out"), accept_hooks=False)
    return Path(rendered)


def start(repo: ServiceRepository, *, to: str, settings: Mapping[str, str], now: datetime) -> list[str]:
    """Add ``to`` next to the running tier at weight 0; returns the paths written."""
    files = repo.files()
    if files.migration is not None:
        m = files.migration
        raise UpgradeError(f"a migration from {m.from_tier} to {m.to_tier} is under way ({MIGRATION}, weight {m.weight}): finish or roll it back before starting another")
    repo.require_clean()
    current = files.tiers[0].tier
    expected = NEXT_TIER.get(current)
    if expected is None:
        raise UpgradeError(f"the service runs on {current}, the last stage: there is no tier to move to")
    if to != expected:
        how = "skips a tier" if STAGE_BY_TIER[to] > STAGE_BY_TIER[expected] else "does not move up"
        raise UpgradeError(f"--to {to} from {current} {how}: a {current} service moves to {expected} first (stagelift upgrade start --to {expected})")
    t = transition_to(to)
    inputs = overlay_inputs(repo, t, settings)
    with tempfile.TemporaryDirectory(prefix="stagelift-upgrade-") as tmp:
        rendered = render_overlay(t, inputs, Path(tmp))
        changes = {str(p.relative_to(rendered)): p.read_text() for p in sorted(rendered.rglob("*")) if p.is_file()}
        # Validate the result as the CDK app will read it, before the repository is touched.
        check = Path(tmp) / "check" / "infra"
        shutil.copytree(repo.infra, check, ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
        for relative, text in changes.items():
            if relative.startswith("infra/"):
                (check.parent / relative).write_text(text)
        from stagelift.service_files import read_service_files

        try:
            read_service_files(check)
        except ConfigError as error:
            raise UpgradeError(str(error).replace(str(check), "infra")) from None
    return repo.apply(changes)


def _catalog_text(repo: ServiceRepository, files: Any, weights: Mapping[str, int], target: str | None) -> str:
    entities = repo.catalog()
    eks = files.tier("eks")
    namespace = getattr(eks.config, "namespace", None) if eks is not None else None
    documents = [catalog.describe_tiers(d, weights, target=target, namespace=namespace) if d is entities.component else d for d in entities.documents]
    return f"# Backstage catalog entry of {entities.component['metadata']['name']} (tiers kept current by stagelift upgrade).\n" + render_entities(documents)


def _step_started(repo: ServiceRepository, m: TierMigration) -> datetime:
    started = m.step_started_at or repo.committed_at(MIGRATION)
    if started is None:
        raise UpgradeError(f"{MIGRATION} is not committed yet: the bake time of a step counts from the commit that deploys it")
    return started


def shift(repo: ServiceRepository, *, now: datetime, cloudwatch: Callable[[str], Any], weight: int | None = None) -> str:
    """Move to the plan's next weight once the step has baked and the new tier's gate alarms are OK."""
    files = repo.files()
    m = _migration(files)
    repo.require_clean()
    following = m.steps[1] if m.rolled_back else m.next_weight()
    if following is None:
        raise UpgradeError(f"the {m.to_tier} tier already has 100% of the traffic: run stagelift upgrade finish once it has baked")
    if weight is not None and weight != following:
        raise UpgradeError(f"weight {weight} is out of plan: at {0 if m.rolled_back else m.weight}, the next step of {m.steps} is {following}")
    problems = []
    late = bake_problem(_step_started(repo, m), m.bake_minutes, now, 0 if m.rolled_back else m.weight)
    if late:
        problems.append(late)
    component = repo.catalog().component
    annotations = component["metadata"]["annotations"]
    names = gate_alarm_names(component["metadata"]["name"], annotations[catalog.ENVIRONMENT], m.to_tier)
    problems += alarm_problems(cloudwatch(annotations[catalog.REGION]), names.values())
    if problems:
        raise UpgradeError(f"not shifting {m.to_tier} to {following}%:\n" + "\n".join(f"  - {p}" for p in problems))
    moved = m.model_copy(update={"weight": following, "step_started_at": None, "rolled_back": False, "rolled_back_at": None, "rollback_reason": None})
    moved = TierMigration.model_validate(moved.model_dump())
    repo.apply({MIGRATION: moved.to_json(), CATALOG: _catalog_text(repo, files, moved.weights(), m.to_tier)})
    return f"{m.to_tier} now gets {following}% of the traffic ({m.from_tier} {100 - following}%): commit and deploy {MIGRATION}"


def rollback(repo: ServiceRepository, *, now: datetime, reason: str) -> str:
    """All traffic back on the old tier at once (weights 100/0), recorded in migration.json."""
    files = repo.files()
    m = _migration(files)
    repo.require_clean()
    back = m.model_copy(update={"weight": m.steps[0], "rolled_back": True, "rolled_back_at": now, "rollback_reason": reason, "step_started_at": None})
    try:
        back = TierMigration.model_validate(back.model_dump())
    except Exception as error:  # pydantic ValidationError: e.g. a reason over 500 characters
        raise UpgradeError(f"rollback: {error}") from None
    repo.apply({MIGRATION: back.to_json(), CATALOG: _catalog_text(repo, files, back.weights(), m.to_tier)})
    return f"all traffic back on {m.from_tier} ({m.to_tier} 0%): commit and deploy {MIGRATION} now"


def finish(repo: ServiceRepository, *, now: datetime) -> list[str]:
    """At 100% after the bake time: remove the old tier's files, the migration and the shift workflow."""
    files = repo.files()
    m = _migration(files)
    repo.require_clean()
    if m.rolled_back or m.weight != 100:
        raise UpgradeError(f"{m.to_tier} has {0 if m.rolled_back else m.weight}% of the traffic: finish needs 100% (stagelift upgrade shift until then)")
    late = bake_problem(_step_started(repo, m), m.bake_minutes, now, m.weight)
    if late:
        raise UpgradeError(f"not finishing yet: {late}")
    t = transition_to(m.to_tier)
    changes: dict[str, str | None] = {f"infra/{m.from_tier}.json": None, MIGRATION: None}
    for relative in (*t.old_tier_files, SHIFT_WORKFLOW):
        if (repo.root / relative).exists():
            changes[relative] = None
    changes[CATALOG] = _catalog_text(repo, files, {m.to_tier: 100}, None)
    return repo.apply(changes)


def status(repo: ServiceRepository) -> str:
    files = repo.files()
    if files.migration is None:
        return f"{files.service_name} runs on {files.tiers[0].tier}; no migration under way"
    m = files.migration
    return json.dumps({"fromTier": m.from_tier, "toTier": m.to_tier, "weights": m.weights(), "steps": m.steps, "nextWeight": m.next_weight()})
