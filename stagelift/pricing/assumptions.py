"""Usage assumptions: what a template cannot say (traffic, log volume, stored GB), named and overridable.

The defaults live in ``assumptions.yaml`` next to this module, with a comment per value; a user
file with some of the same keys overrides them (``load_assumptions(path)``). Unknown keys and
negative values are refused with one message naming the key.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ..config.errors import ConfigError, validate

DEFAULT_ASSUMPTIONS = Path(__file__).resolve().parent / "assumptions.yaml"

Quantity = Annotated[Decimal, Field(ge=0)]


class Assumptions(BaseModel):
    """Usage a month; see ``assumptions.yaml`` for what each value means and its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monthly_active_users: Quantity
    requests_millions: Quantity
    alb_lcu: Quantity
    internet_egress_gb: Quantity
    cloudfront_gb_out: Quantity
    aws_api_gb: Quantity
    image_gb: Quantity
    task_starts_per_task: Quantity
    log_gb_per_task: Quantity
    database_log_gb: Quantity
    flow_log_gb: Quantity
    waf_log_kb_per_request: Quantity
    lambda_log_gb: Quantity
    eks_control_plane_log_gb: Quantity
    default_log_retention_days: Quantity
    insights_cluster_millions: Quantity
    insights_task_millions: Quantity
    ecr_gb: Quantity
    ec2_root_volume_gb: Quantity
    eks_node_disk_gb: Quantity
    s3_gb: Quantity
    s3_put_thousands: Quantity
    s3_get_thousands: Quantity
    efs_gb: Quantity
    dynamodb_gb: Quantity
    lambda_invocations_millions: Quantity
    lambda_helper_invocations_millions: Quantity
    lambda_duration_ms: Quantity
    dynamodb_write_millions: Quantity
    dynamodb_read_millions: Quantity
    sqs_requests_millions: Quantity
    sns_publishes_millions: Quantity
    eventbridge_events_millions: Quantity
    aurora_average_acu: Quantity
    aurora_storage_gb: Quantity
    aurora_io_millions: Quantity
    elasticache_serverless_gb: Quantity
    elasticache_serverless_ecpu_millions: Quantity
    msk_partitions: Quantity
    msk_gb_in: Quantity
    msk_gb_out: Quantity
    msk_storage_gb: Quantity

    @classmethod
    def defaults(cls) -> Assumptions:
        return _defaults()

    def with_overrides(self, **values: Any) -> Assumptions:
        """A copy with some values replaced (validated like a file)."""
        return validate(Assumptions, {**self.model_dump(), **values}, "usage assumptions")


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"usage assumptions {path}", [f"cannot read the file: {error}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(f"usage assumptions {path}", [f"expected a mapping of assumption keys to numbers, got {type(data).__name__}"])
    return data


@cache
def _defaults() -> Assumptions:
    return validate(Assumptions, _read(DEFAULT_ASSUMPTIONS), f"usage assumptions {DEFAULT_ASSUMPTIONS}")


def load_assumptions(path: Path | str | None = None) -> Assumptions:
    """The defaults, overridden by the keys of the YAML file at ``path`` (if given)."""
    if path is None:
        return _defaults()
    overrides = _read(Path(path))
    return validate(Assumptions, {**_defaults().model_dump(), **overrides}, f"usage assumptions {path}")
