"""The infrastructure files of a service repository (infra/<tier>.json, infra/migration.json), validated.

No aws-cdk-lib here: ``stagelift upgrade`` reads the same files without starting jsii. The layout
is described in :mod:`stagelift.service_app`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from stagelift.config import STAGE_BY_TIER, EksServiceConfig, FargateServiceConfig, LambdaServiceConfig, validate
from stagelift.config.errors import ConfigError
from stagelift.config.migration import TierMigration

TIER_MODELS: dict[str, type[BaseModel]] = {
    "lambda": LambdaServiceConfig,
    "fargate": FargateServiceConfig,
    "eks": EksServiceConfig,
}
MIGRATION_FILE = "migration.json"
# Keys of a tier file that are not the tier model's: where the tier is placed.
PLACEMENT_KEYS: dict[str, tuple[str, ...]] = {
    "lambda": ("constructId",),
    "fargate": ("constructId",),
    "eks": ("constructId", "clusterName", "awsAccountId"),
}
DEFAULT_CONSTRUCT_ID = "Service"


def tier_file(infra: Path, tier: str) -> Path:
    return infra / f"{tier}.json"


@dataclass(frozen=True)
class TierFile:
    """One ``infra/<tier>.json``: the validated model and its placement keys."""

    tier: str
    config: BaseModel
    placement: Mapping[str, str] = field(default_factory=dict)

    @property
    def construct_id(self) -> str:
        return self.placement.get("constructId", DEFAULT_CONSTRUCT_ID)


@dataclass(frozen=True)
class ServiceFiles:
    """Every infrastructure file of a service repository, validated."""

    tiers: tuple[TierFile, ...]  # ordered by stage
    migration: TierMigration | None

    @property
    def service_name(self) -> str:
        return str(self.tiers[0].config.service_name)  # type: ignore[attr-defined]

    def tier(self, tier: str) -> TierFile | None:
        return next((t for t in self.tiers if t.tier == tier), None)


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(str(path), [f"not valid JSON: {error}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), ["expected a JSON object"])
    return data


def read_tier_file(path: Path, tier: str) -> TierFile:
    data = _read_json(path)
    placement = {key: str(data.pop(key)) for key in PLACEMENT_KEYS[tier] if key in data}
    return TierFile(tier=tier, config=validate(TIER_MODELS[tier], data, str(path)), placement=placement)


def read_service_files(infra: Path) -> ServiceFiles:
    """Read and validate the tier files and migration state of ``infra/``; ConfigError if they do not fit together."""
    tiers = tuple(read_tier_file(tier_file(infra, t), t) for t in TIER_MODELS if tier_file(infra, t).is_file())
    if not tiers:
        names = ", ".join(tier_file(infra, t).name for t in TIER_MODELS)
        raise ConfigError(str(infra), [f"no tier file: expected one of {names}"])
    migration_path = infra / MIGRATION_FILE
    migration = validate(TierMigration, _read_json(migration_path), str(migration_path)) if migration_path.is_file() else None
    present = [t.tier for t in tiers]
    if migration is None and len(tiers) > 1:
        raise ConfigError(str(infra), [f"{' and '.join(present)} tier files without {MIGRATION_FILE}: one tier runs unless a migration is under way"])
    if migration is not None and sorted(present, key=STAGE_BY_TIER.__getitem__) != [migration.from_tier, migration.to_tier]:
        raise ConfigError(
            str(migration_path),
            [f"fromTier = {migration.from_tier!r}, toTier = {migration.to_tier!r}: expected tier files for both, found {', '.join(present)}"],
        )
    environments = {t.config.service_environment for t in tiers if getattr(t.config, "attached", False)}  # type: ignore[attr-defined]
    if len(environments) > 1:
        raise ConfigError(str(infra), [f"serviceEnvironment differs between tier files ({', '.join(sorted(environments))}): one service joins one environment"])
    if migration is not None and migration.to_tier == "eks" and not all(getattr(t.config, "attached", False) for t in tiers):
        raise ConfigError(
            str(infra),
            ["fargate -> eks needs serviceEnvironment on both tiers (not standalone): the pods join the environment's load balancer "
             "in its VPC, which a standalone Fargate service's own load balancer cannot reach"],
        )
    names = {str(t.config.service_name) for t in tiers}  # type: ignore[attr-defined]
    if len(names) > 1:
        raise ConfigError(str(infra), [f"serviceName differs between tier files ({', '.join(sorted(names))}): one service, one name"])
    return ServiceFiles(tiers=tiers, migration=migration)
