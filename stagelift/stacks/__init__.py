"""Thin stacks that compose stagelift constructs and carry the CloudFormation outputs."""
