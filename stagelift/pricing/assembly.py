"""Estimates of every stack of a cloud assembly (``cdk.out``), nested stacks folded into their parent."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..assembly import StackTemplate, load_assembly
from .assumptions import Assumptions
from .estimate import Estimate, estimate_template
from .price_list import PriceList, load_prices


def _with_nested(stack: StackTemplate, prefix: str = "") -> dict[str, Any]:
    """One template whose resources include those of its nested stacks (ids ``Nested/Inner``)."""
    resources: dict[str, Any] = {}
    for logical_id, resource in stack.resources.items():
        resources[prefix + logical_id] = resource
        if logical_id in stack.nested:
            resources.update(_with_nested(stack.nested[logical_id], f"{prefix}{logical_id}/")["Resources"])
    # Nested stacks' parameters and conditions are not merged: their values come from the parent as
    # tokens, so they read as unresolved (see template.py) rather than as the parent's.
    return {**stack.template, "Resources": resources}


def estimate_assembly(
    cdk_out_dir: Path | str,
    *,
    region: str = "us-east-1",
    assumptions: Assumptions | None = None,
    prices: PriceList | None = None,
) -> dict[str, Estimate]:
    """``{stack artifact id: Estimate}`` for each ``aws:cloudformation:stack`` of ``manifest.json``.

    Stacks are priced at ``region``'s prices (default us-east-1, the list's region), not at the
    region a stack is deployed to. Nested stacks' lines are part of their parent's estimate, their
    logical ids prefixed with the nested stack's (``Nested/Queue``).
    """
    prices = prices or load_prices()
    result: dict[str, Estimate] = {}
    # Stages' stacks come keyed "<stage>/<stack>"; an unreadable folder raises AssemblyError (a ValueError).
    for stack_id, stack in load_assembly(cdk_out_dir).stacks.items():
        est = estimate_template(_with_nested(stack), region=region, assumptions=assumptions, prices=prices)
        deployed = stack.environment.rsplit("/", 1)[-1]
        if deployed and deployed != region and not deployed.startswith("unknown"):
            est = replace(est, notes=(f"deployed to {deployed}, priced at {region} list prices",) + est.notes)
        result[stack_id] = est
    return result
