"""Acknowledging one cdk-nag finding on one construct, always with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Record that ``rule`` (e.g. ``"AwsSolutions-IAM5"``) is accepted on ``construct``.

    cdk-nag 3 reads these acknowledgments at synth time; they land in ``cdk.out`` metadata,
    so a reviewer sees every accepted finding and why.
    """
    if not rule.startswith("AwsSolutions-"):
        raise ValueError(f"rule = {rule!r}: expected an AwsSolutions rule id such as 'AwsSolutions-IAM5'")
    if len(reason.strip()) < 20:
        raise ValueError(f"reason for {rule} on {construct.node.path} is too short to explain anything: {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
