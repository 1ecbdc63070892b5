"""CloudFormation's own answer: a change set of the head template against the deployed stack.

With credentials, CloudFormation knows things a template comparison cannot (the deployed
template, resolved parameters, drift-free property values). ``Replacement`` per resource is
``True``, ``False`` or ``Conditional``; the change set is deleted after reading, never executed.
"""

from __future__ import annotations

import json
import time

from .assembly import Assembly
from .diff import MAY_REPLACE, UPDATE, WILL_REPLACE

TEMPLATE_BODY_LIMIT = 51_200  # CreateChangeSet's TemplateBody limit in bytes
ANSWERS = {"True": WILL_REPLACE, "Conditional": MAY_REPLACE, "False": UPDATE}


class ChangeSetError(ValueError):
    pass


def stack_name(assembly: Assembly, stack_id: str) -> str:
    """The deployed stack name of an artifact (``stackName`` in the manifest, else the artifact id)."""
    manifest = json.loads((assembly.directory / "manifest.json").read_text())
    artifact = (manifest.get("artifacts") or {}).get(stack_id) or {}
    return (artifact.get("properties") or {}).get("stackName") or stack_id


def replacements(client, name: str, template: dict) -> dict[str, str]:
    """``{logical id: "True" | "False" | "Conditional"}`` from a change set of ``template`` against stack ``name``."""
    body = json.dumps(template)
    if len(body.encode()) > TEMPLATE_BODY_LIMIT:
        raise ChangeSetError(f"--changeset {name}: the template is {len(body.encode()):,} bytes, over CreateChangeSet's "
                             f"{TEMPLATE_BODY_LIMIT:,}-byte TemplateBody limit; review it without --changeset")
    change_set = f"stagelift-review-{int(time.time())}"
    client.create_change_set(
        StackName=name, ChangeSetName=change_set, ChangeSetType="UPDATE", TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    try:
        for _ in range(120):
            described = client.describe_change_set(StackName=name, ChangeSetName=change_set, IncludePropertyValues=True)
            if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
                break
            time.sleep(2)
        if described["Status"] == "FAILED":
            if "didn't contain changes" in described.get("StatusReason", ""):
                return {}
            raise ChangeSetError(f"--changeset {name}: CloudFormation refused the change set: {described.get('StatusReason')}")
        answers: dict[str, str] = {}
        while True:
            for change in described.get("Changes", []):
                resource = change.get("ResourceChange") or {}
                if resource.get("Action") == "Modify" and resource.get("Replacement"):
                    answers[resource["LogicalResourceId"]] = str(resource["Replacement"])
            token = described.get("NextToken")
            if not token:
                return answers
            described = client.describe_change_set(StackName=name, ChangeSetName=change_set, NextToken=token,
                                                  IncludePropertyValues=True)
    finally:
        client.delete_change_set(StackName=name, ChangeSetName=change_set)


def change_set_answers(assembly: Assembly, stack_ids: list[str], *, region: str | None = None,
                       client=None) -> dict[str, dict[str, str]]:
    """Replacement answers for each head stack in ``stack_ids`` (artifact ids), by logical id."""
    import boto3  # imported here: a review without --changeset never loads boto3
    from botocore.exceptions import BotoCoreError, ClientError

    if client is None:
        try:
            client = boto3.client("cloudformation", region_name=region)
        except BotoCoreError as error:  # no region configured ...
            raise ChangeSetError(f"--changeset: {error} (pass --region)") from None
    out = {}
    for stack_id in stack_ids:
        if stack_id not in assembly.stacks:
            raise ChangeSetError(f"--changeset {stack_id}: no such stack in the head assembly; "
                                 f"stacks: {', '.join(sorted(assembly.stacks))}")
        name = stack_name(assembly, stack_id)
        try:
            out[stack_id] = replacements(client, name, assembly.stacks[stack_id].template)
        except (BotoCoreError, ClientError) as error:
            raise ChangeSetError(f"--changeset {stack_id}: CloudFormation could not make a change set of stack {name}: {error}") from None
    return out
