"""--changeset: CloudFormation's own Replacement answers, where it gives them, win over the template comparison."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from stagelift.cli import main
from stagelift.review import load_assembly, review
from stagelift.review.changeset import change_set_answers, replacements


@pytest.fixture
def aws(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        boto3.client("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
        yield boto3.client("cloudformation")


def test_change_set_against_moto_keeps_the_template_answer_where_moto_gives_none(assemblies, aws, tmp_path) -> None:
    base, head = (load_assembly(a) for a in assemblies)
    aws.create_stack(StackName="Conditional", TemplateBody=json.dumps(base.stacks["Conditional"].template))
    # moto's change sets list Action/LogicalResourceId/ResourceType but no Replacement field.
    assert change_set_answers(head, ["Conditional"], client=aws) == {"Conditional": {}}
    assert aws.list_change_sets(StackName="Conditional")["Summaries"] == []  # read, then deleted, never executed

    out = tmp_path / "review.json"
    main(["review", *map(str, assemblies), "--format", "json", "--output", str(out), "--no-cost", "--changeset", "Conditional"])
    report = json.loads(out.read_text())
    (table,) = [r for s in report["stacks"] if s["id"] == "Conditional" for r in s["resources"]]
    assert (table["action"], table["note"]) == ("may replace", "")
    assert report["data_sources"]["change_sets"] == ["Conditional"]


def test_unknown_change_set_stack_is_one_message(assemblies, aws, capsys) -> None:
    assert main(["review", *map(str, assemblies), "--changeset", "Nope"]) == 2
    assert "--changeset Nope: no such stack in the head assembly; stacks: Acknowledged" in capsys.readouterr().err


def test_undeployed_stack_is_one_message(assemblies, aws, capsys) -> None:
    assert main(["review", *map(str, assemblies), "--changeset", "Conditional"]) == 2
    assert "CloudFormation could not make a change set of stack Conditional" in capsys.readouterr().err


def test_replacement_answer_from_cloudformation_wins(assemblies) -> None:
    """A recorded DescribeChangeSet shape (real CloudFormation, which moto does not imitate) read through Stubber."""
    head = load_assembly(assemblies[1])
    table_id = next(lid for lid, r in head.stacks["Conditional"].resources.items() if r["Type"] == "AWS::DynamoDB::Table")
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("create_change_set", {"Id": "arn:cs", "StackId": "arn:stack"}, {
            "StackName": "Conditional", "ChangeSetName": ANY, "ChangeSetType": "UPDATE", "TemplateBody": ANY, "Capabilities": ANY})
        stub.add_response("describe_change_set", {
            "Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE", "StackName": "Conditional",
            "CreationTime": datetime(2026, 11, 30, tzinfo=timezone.utc),
            "Changes": [{"Type": "Resource", "ResourceChange": {
                "Action": "Modify", "LogicalResourceId": table_id, "ResourceType": "AWS::DynamoDB::Table",
                "Replacement": "True", "Scope": ["Properties"],
                "Details": [{"Target": {"Attribute": "Properties", "Name": "KeySchema", "RequiresRecreation": "Always"},
                             "Evaluation": "Static", "ChangeSource": "DirectModification"}]}}]},
            {"StackName": "Conditional", "ChangeSetName": ANY, "IncludePropertyValues": True})
        stub.add_response("delete_change_set", {}, {"StackName": "Conditional", "ChangeSetName": ANY})
        answers = replacements(client, "Conditional", head.stacks["Conditional"].template)
    assert answers == {table_id: "True"}
    result = review(*assemblies, change_sets={"Conditional": answers})
    (table,) = [r for s in result["stacks"] if s["id"] == "Conditional" for r in s["resources"]]
    assert table["action"] == "will replace"
    assert table["note"] == "change set: Replacement=True (template comparison: may replace)"
    assert "replaced and the old one deleted with its data" in table["data_at_risk"]
