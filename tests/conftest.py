"""Shared test set-up: apps built like the real one (cdk.json feature flags), no asset bundling."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
import pytest

from stagelift.cdk_app import create_app

REPO_ROOT = Path(__file__).resolve().parent.parent

# Tests run every check a synth can run, aws-cdk-lib's built-in CloudFormation validation included
# (interactive synths leave it out: stagelift.cdk_app.builtin_validation); subprocesses inherit it.
os.environ["CDK_VALIDATION"] = "true"

# Tests never bundle assets (no Docker here) and never read an outer CDK CLI's context.
TEST_CONTEXT: dict[str, object] = {"aws:cdk:bundling-stacks": []}


def new_app(context: Mapping[str, object] | None = None) -> cdk.App:
    """A CDK App with the repository's cdk.json context plus ``context``."""
    os.environ.pop("CDK_CONTEXT_JSON", None)
    return create_app(REPO_ROOT, context={**TEST_CONTEXT, **(context or {})})


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
