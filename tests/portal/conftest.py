"""Portal stacks synthesized once per configuration and shared by every test that needs them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from aws_cdk.assertions import Template

from stagelift.config import load_portal_config
from stagelift.stacks.portal_stack import PortalStack
from tests.conftest import new_app

# DNS values any staging/production synth needs (validated by the config, never looked up).
DOMAIN = {"domainName": "backstage.example.com", "hostedZoneId": "Z0123456789ABCDEFGHIJ", "hostedZoneName": "example.com"}
PROFILE_CONTEXT: dict[str, dict[str, object]] = {
    "development": {"environment": "development"},
    "staging": {"environment": "staging", **DOMAIN},
    "production": {"environment": "production", **DOMAIN},
}


@dataclass(frozen=True)
class SynthesizedPortal:
    stack: PortalStack
    template: Template

    @property
    def resources(self) -> dict[str, dict]:
        return self.template.to_json()["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def one(self, resource_type: str) -> dict:
        found = list(self.of_type(resource_type).values())
        assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
        return found[0]


@cache
def _synth(context_json: str) -> SynthesizedPortal:
    context = json.loads(context_json)
    app = new_app(context)
    stack = PortalStack(app, config=load_portal_config(app.node.get_all_context()))
    return SynthesizedPortal(stack, Template.from_stack(stack))


def synth_portal(context: Mapping[str, object]) -> SynthesizedPortal:
    """The portal stack for ``context``; the same context is synthesized only once per process."""
    return _synth(json.dumps(dict(context), sort_keys=True))


def synth_profile(environment: str, **overrides: object) -> SynthesizedPortal:
    return synth_portal({**PROFILE_CONTEXT[environment], **overrides})
