"""Every cdk-nag acknowledgment sits on the one CloudFormation resource it is about, with a real reason.

cdk-nag 3 applies ``Validations.of(c).acknowledge(...)`` to the whole subtree below ``c``: an
acknowledgment on an L2 role also covers its ``DefaultPolicy``, one on a generated construct
(the kubectl provider, the ALB controller) covers every function and role inside it, including
ones a later aws-cdk-lib adds. This module synthesizes each portal profile and each tier example
once, with the AwsSolutions pack registered as in the real apps, and reads the acknowledgments
back from the cloud assembly (``<stack>.metadata.json``, entries of type
``aws:cdk:acknowledged-rules`` at the construct path they were attached to).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TEST_CONTEXT
from tests.portal.conftest import PROFILE_CONTEXT

EXAMPLES = ("lambda_service", "fargate_service", "eks_service", "service_environment", "tiered_service")
SOURCES = [f"portal:{profile}" for profile in PROFILE_CONTEXT] + [f"example:{name}" for name in EXAMPLES]

# Acknowledgments allowed on a construct that is not itself one resource: (stack, path, rule) ->
# why one acknowledgment there is right. Keep it short; today nothing needs it.
ALLOWED_SUBTREES: dict[tuple[str, str, str], str] = {}

# Reasons that explain nothing about the resource.
GENERIC = re.compile(r"^(n/?a|none|todo|tbd|ok|accepted|false positive|not (needed|applicable|required)|suppressed?|by design|intended|known)\W*$", re.I)


@dataclass(frozen=True)
class Ack:
    stack: str
    path: str
    rule: str
    reason: str


def _synth(source: str, outdir: Path) -> None:
    os.environ.pop("CDK_CONTEXT_JSON", None)
    kind, name = source.split(":")
    if kind == "portal":
        spec = importlib.util.spec_from_file_location("stagelift_portal_app", REPO_ROOT / "app.py")
        context = {**TEST_CONTEXT, **PROFILE_CONTEXT[name]}
    else:
        spec = importlib.util.spec_from_file_location(f"{name}_example", REPO_ROOT / "examples" / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Synthesis raises when cdk-nag reports an unacknowledged error: that is the first check.
    app = module.build_app(context, outdir=str(outdir)) if kind == "portal" else module.build_app(outdir=str(outdir))
    app.synth()


@pytest.fixture(scope="module", params=SOURCES)
def assembly(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp(request.param.replace(":", "-"))
    _synth(request.param, outdir)
    return outdir


def _stacks(assembly: Path) -> Iterator[tuple[str, dict[str, list[dict]]]]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    for name, artifact in manifest["artifacts"].items():
        if artifact["type"] == "aws:cloudformation:stack":
            yield name, json.loads((assembly / f"{name}.metadata.json").read_text())


def acknowledgments(assembly: Path) -> list[Ack]:
    """The AwsSolutions acknowledgments recorded in the assembly (aws-cdk-lib's own CloudFormation-Validate ones excluded)."""
    return [
        Ack(stack, path, rule, reason)
        for stack, metadata in _stacks(assembly)
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
        if "AwsSolutions-" in rule
    ]


def resource_paths(assembly: Path) -> dict[str, set[str]]:
    """Per stack, the construct paths of its CloudFormation resources (those that carry a logical id)."""
    return {stack: {path for path, entries in metadata.items() if any(e["type"] == "aws:cdk:logicalId" for e in entries)} for stack, metadata in _stacks(assembly)}


def test_cdk_nag_ran_and_reported_no_unacknowledged_finding(assembly: Path) -> None:
    # An unacknowledged cdk-nag error fails synthesis (the fixture); warnings would be annotations.
    assert acknowledgments(assembly), "no cdk-nag acknowledgment recorded: was the AwsSolutions pack registered?"
    reported = [
        f"{stack} {path}: {entry['data']}"
        for stack, metadata in _stacks(assembly)
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] in ("aws:cdk:warning", "aws:cdk:error") and "AwsSolutions" in json.dumps(entry["data"])
    ]
    assert not reported, "\n".join(reported)
    report = json.loads((assembly / "validation-report.json").read_text())
    assert [r["violations"] for r in report["pluginReports"] if r["violations"]] == []


def test_every_acknowledgment_is_attached_to_one_resource(assembly: Path) -> None:
    resources = resource_paths(assembly)
    wide = [
        f"{ack.stack} {ack.path} {ack.rule}"
        for ack in acknowledgments(assembly)
        if ack.path not in resources[ack.stack] and (ack.stack, ack.path, ack.rule.split("[", 1)[0]) not in ALLOWED_SUBTREES
    ]
    assert not wide, f"{len(wide)} acknowledgments cover a subtree instead of one resource:\n" + "\n".join(wide)


def test_every_reason_explains_the_finding(assembly: Path) -> None:
    vague = [
        f"{ack.stack} {ack.path} {ack.rule}: {ack.reason!r}"
        for ack in acknowledgments(assembly)
        if len(ack.reason.strip()) < 40 or GENERIC.match(ack.reason.strip()) or ack.rule.split("::")[-1].split("[")[0] in ack.reason
    ]
    assert not vague, "\n".join(vague)


def test_allow_list_entries_have_reasons() -> None:
    for key, why in ALLOWED_SUBTREES.items():
        assert len(why.strip()) >= 40, key


def test_acknowledge_attaches_to_the_resource_and_refuses_a_plain_subtree() -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_sqs as sqs
    from constructs import Construct

    from stagelift.constructs.nag import acknowledge, default_policy

    stack = cdk.Stack(cdk.App(), "S")
    queue = sqs.Queue(stack, "Queue")
    acknowledge(queue, "AwsSolutions-SQS3", "A queue of advisory events: a dead-letter queue would only collect expired events.")
    # On the AWS::SQS::Queue resource, not on the L2 (whose subtree could grow a QueuePolicy).
    assert [m.type for m in queue.node.metadata if "acknowledged" in m.type] == []
    assert [m.type for m in queue.node.default_child.node.metadata if "acknowledged" in m.type]  # type: ignore[union-attr]

    group = Construct(stack, "Group")
    sqs.Queue(group, "A")
    with pytest.raises(ValueError, match=r"S/Group is neither a CloudFormation resource nor has one as its default child"):
        acknowledge(group, "AwsSolutions-SQS3", "Both queues carry advisory events that expire within minutes.")

    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(ValueError, match=r"S/Role has no DefaultPolicy yet"):
        default_policy(role)
    queue.grant_send_messages(role)
    assert default_policy(role).node.path == "S/Role/DefaultPolicy"
