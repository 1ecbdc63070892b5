"""Acknowledging one cdk-nag finding on one CloudFormation resource, always with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct


def resource_of(construct: IConstruct) -> CfnResource:
    """``construct`` itself when it is a CloudFormation resource, else its default child (an L2's)."""
    if isinstance(construct, CfnResource):
        return construct
    child = construct.node.default_child
    if isinstance(child, CfnResource):
        return child
    raise ValueError(
        f"{construct.node.path} is neither a CloudFormation resource nor has one as its default child: "
        "acknowledge on the one resource the finding is about"
    )


def default_policy(role: IConstruct) -> IConstruct:
    """The ``DefaultPolicy`` that grants on an L2 role write to: where its IAM5 findings are."""
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None:
        raise ValueError(f"{role.node.path} has no DefaultPolicy yet: acknowledge its findings after the grants that create it")
    return policy


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Record that ``rule`` (e.g. ``"AwsSolutions-IAM5"``) is accepted on ``construct``'s resource.

    cdk-nag 3 applies an acknowledgment to the whole subtree below the construct it is attached
    to, so it is attached to the one resource meant: ``construct`` itself when it is an L1,
    otherwise its default child (an L2's ``Resource``). A finding on another resource of an L2
    (a role's ``DefaultPolicy``, an instance's ``Secret``) needs that construct passed instead.
    The acknowledgments land in ``cdk.out`` metadata, so a reviewer sees every accepted finding
    and why.
    """
    if not rule.startswith("AwsSolutions-"):
        raise ValueError(f"rule = {rule!r}: expected an AwsSolutions rule id such as 'AwsSolutions-IAM5'")
    if len(reason.strip()) < 20:
        raise ValueError(f"reason for {rule} on {construct.node.path} is too short to explain anything: {reason!r}")
    Validations.of(resource_of(construct)).acknowledge(Acknowledgment(id=rule, reason=reason))
