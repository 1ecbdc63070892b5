"""Availability zones resolved by CloudFormation at deploy time, never guessed at synth time.

Which AZ names exist differs per region and per account (``us-east-1a`` in one account is not the
same zone, and may not exist, in another), so a template names no zone: ``Fn::Select(i,
Fn::GetAZs(""))`` picks the i-th zone CloudFormation finds for the stack's account and region.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Fn, Stack
from constructs import Construct

# CDK's ``Vpc`` spans 3 AZs when told nothing; a stack offers as many.
DEFAULT_ZONE_COUNT = 3


def deploy_time_zones(count: int) -> list[str]:
    """The first ``count`` AZs of the stack's region as ``Fn::Select``/``Fn::GetAZs`` tokens."""
    if not 1 <= count <= 6:
        raise ValueError(f"count = {count}: expected 1 to 6 availability zones")
    return [Fn.select(index, Fn.get_azs()) for index in range(count)]


class DeployTimeZonesStack(Stack):
    """A ``Stack`` whose ``availability_zones`` are deploy-time tokens, with or without an account.

    CDK's own ``Stack`` answers ``availability_zones`` with two ``Fn::GetAZs`` tokens when account
    or region is unknown, and with a context lookup when both are known (``dummy1a`` placeholders
    under ``python app.py``, an AWS call under ``cdk synth``). This stack never looks anything up,
    so synthesis is the same offline and online; ``ec2.Vpc`` and every construct asking the
    stack for its zones get ``zone_count`` deploy-time tokens.
    """

    def __init__(self, scope: Construct | None = None, id: str | None = None, *, zone_count: int = DEFAULT_ZONE_COUNT, **kwargs: object) -> None:
        """
        :param zone_count: zones the stack offers; default 3 (CDK ``Vpc``'s default ``max_azs``).
            A region (or account) with fewer zones fails at deploy time only if a resource uses one
            that does not exist.
        :param kwargs: every other ``Stack`` argument (``env``, ``description`` ...).
        """
        self._zones = deploy_time_zones(zone_count)
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]

    @property
    def availability_zones(self) -> list[str]:  # type: ignore[override]
        return list(self._zones)


def zone_names_or_tokens(names: Sequence[str] | None, count: int) -> list[str]:
    """``names`` when given (explicit, known zones), else ``count`` deploy-time tokens."""
    return list(names) if names else deploy_time_zones(count)
