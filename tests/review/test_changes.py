"""Each kind of change, reported as CloudFormation will perform it (real assemblies, see assemblies.py)."""

from __future__ import annotations

from tests.review.conftest import resource, stack


def test_create_only_property_replaces_and_puts_data_and_the_custom_name_at_risk(result: dict) -> None:
    db = resource(result, "CreateOnly", "AWS::RDS::DBInstance")
    assert db["action"] == "will replace"
    assert db["because"] == ["StorageEncrypted"]
    assert {"path": "StorageEncrypted", "old": "false", "new": "true"} in db["changes"]
    # DESTROY sets UpdateReplacePolicy Delete; the fixed identifier makes the replacement fail.
    assert "UpdateReplacePolicy Delete" in db["data_at_risk"]
    assert "custom name DBInstanceIdentifier='orders-db'" in db["data_at_risk"]
    # The secret attachment reads the instance's Ref: its value changes with the replacement (an update).
    attachment = resource(result, "CreateOnly", "AWS::SecretsManager::SecretTargetAttachment")
    assert attachment["action"] == "update"
    assert [c["path"] for c in attachment["changes"]] == ["TargetId"]
    assert "new value: replaced" in attachment["changes"][0]["new"]


def test_conditional_create_only_property_may_replace(result: dict) -> None:
    table = resource(result, "Conditional", "AWS::DynamoDB::Table")
    assert table["action"] == "may replace"
    assert table["because"] == ["KeySchema"]
    assert "may be replaced" in table["data_at_risk"]  # non-production table: UpdateReplacePolicy Delete


def test_renamed_construct_id_is_a_deletion_and_a_creation(result: dict) -> None:
    old = resource(result, "Renamed", "AWS::S3::Bucket", "remove")
    new = resource(result, "Renamed", "AWS::S3::Bucket", "add")
    assert old["path"] == "Renamed/Docs/Bucket/Resource"
    assert new["path"] == "Renamed/Documents/Bucket/Resource"
    assert old["note"] == f"logical id changed: re-created as {new['logical_id']}"
    assert new["note"] == f"logical id changed: replaces {old['logical_id']}"
    assert old["data_at_risk"] == "deleted with its data (DeletionPolicy Delete)"
    assert stack(result, "Renamed")["replaced"] == 0  # CloudFormation does not replace: it deletes and creates


def test_new_logical_id_for_the_same_construct_path_is_a_deletion_and_a_creation(result: dict) -> None:
    old = resource(result, "LogicalId", "AWS::Logs::LogGroup", "remove")
    new = resource(result, "LogicalId", "AWS::Logs::LogGroup", "add")
    assert old["path"] == new["path"] == "LogicalId/Events/Resource"
    assert new["logical_id"] == "EventsLogGroup"
    assert old["note"] == "logical id changed: re-created as EventsLogGroup"
    assert old["data_at_risk"] == "deleted with its data (DeletionPolicy Delete)"


def test_removed_stateful_resources_at_risk_unless_retained(result: dict) -> None:
    removed = {r["path"]: r for r in stack(result, "Removed")["resources"]}
    assert {r["action"] for r in removed.values()} == {"remove"}
    assert removed["Removed/Jobs/Queue/Resource"]["data_at_risk"] == "deleted with its data (DeletionPolicy Delete)"
    assert removed["Removed/Jobs/DeadLetterQueue/Resource"]["data_at_risk"] == "deleted with its data (DeletionPolicy Delete)"
    assert removed["Removed/Archive/Resource"]["data_at_risk"] == ""  # RemovalPolicy.RETAIN
    assert removed["Removed/Archive/Policy/Resource"]["data_at_risk"] == ""  # a policy holds no data
    at_risk = {(r["stack"], r["type"]) for r in result["data_at_risk"] if r["stack"] == "Removed"}
    assert at_risk == {("Removed", "AWS::SQS::Queue")}
    assert sum(1 for r in result["data_at_risk"] if r["stack"] == "Removed") == 2


def test_iam_wildcard_and_managed_policy_are_broadening(result: dict) -> None:
    changes = {i["kind"]: i for i in result["iam"] if i["stack"] == "IamWildcard"}
    assert sorted(changes) == ["identity", "managed policy"]
    assert {i["change"] for i in changes.values()} == {"added"}
    assert changes["identity"]["statement"] == "Allow s3:* on *"
    assert changes["identity"]["broadening"] == ["wildcard action s3:*", "wildcard resource *"]
    assert changes["managed policy"]["broadening"] == [
        "managed policy attached: arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"]
    assert resource(result, "IamWildcard", "AWS::IAM::Policy")["action"] == "update"
    assert resource(result, "IamWildcard", "AWS::IAM::Role")["action"] == "update"


def test_open_ingress_is_called_out(result: dict) -> None:
    rules = [g for g in result["security_groups"] if g["stack"] == "OpenIngress"]
    web = resource(result, "OpenIngress", "AWS::EC2::SecurityGroup", "update")["logical_id"]
    assert [(g["change"], g["direction"], g["protocol"], g["ports"], g["peer"], g["open_to_world"]) for g in rules] == [
        ("added", "ingress", "tcp", "443", "0.0.0.0/0", True),
        ("added", "ingress", "tcp", "443", "::/0", True),
        ("added", "ingress", "tcp", "5432", f"${{{web}.GroupId}}", False),  # the separate SecurityGroupIngress
    ]
    assert resource(result, "OpenIngress", "AWS::EC2::SecurityGroupIngress")["action"] == "add"
    assert result["summary"]["open_ingress"] == 2


def test_removed_condition_and_new_principal_on_a_resource_policy_are_broadening(result: dict) -> None:
    changes = [i for i in result["iam"] if i["stack"] == "ResourcePolicy"]
    # aws-cdk-lib merges the two head statements into one (minimizePolicies): one added, one removed.
    assert [(i["change"], i["principals"], i["conditions"]) for i in changes] == [
        ("added", ["AWS:arn:aws:iam::210987654321:root", "Service:sns.amazonaws.com"], ""),
        ("removed", ["Service:sns.amazonaws.com"], '{"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:orders"}}'),
    ]
    assert changes[0]["broadening"] == [
        "new principal AWS:arn:aws:iam::210987654321:root",
        'condition removed (was {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:orders"}})',
    ]


def test_public_access_block_turned_off(result: dict) -> None:
    settings = [(s["setting"], s["old"], s["new"]) for s in result["settings_off"] if s["stack"] == "SettingsOff"]
    assert settings == [
        ("public access block: PublicAccessBlockConfiguration.BlockPublicPolicy", "true", "false"),
        ("public access block: PublicAccessBlockConfiguration.RestrictPublicBuckets", "true", "false"),
    ]
    assert resource(result, "SettingsOff", "AWS::S3::Bucket")["action"] == "update"


def test_task_size_replaces_the_task_definition_and_updates_the_service(result: dict) -> None:
    task = resource(result, "TaskSize", "AWS::ECS::TaskDefinition")
    assert task["action"] == "will replace"
    assert task["because"] == ["Cpu", "Memory"]
    assert task["data_at_risk"] == ""  # a task definition holds no data
    service = resource(result, "TaskSize", "AWS::ECS::Service")
    assert service["action"] == "update"
    assert [c["path"] for c in service["changes"]] == ["TaskDefinition"]


def test_new_acknowledgment_is_reported(result: dict) -> None:
    acks = [a for a in result["acknowledgments"] if a["stack"] == "Acknowledged"]
    assert acks == [{
        "status": "new", "source": "cdk-nag", "stack": "Acknowledged", "rule": "AwsSolutions-SQS3",
        "resource": "Acknowledged/Events",
        "message": "Events are replayed from the source of truth; a dead-letter queue adds nothing.",
    }]
    assert stack(result, "Acknowledged")["status"] == "unchanged"  # no resource changed


def test_nested_stack_change_is_reported_under_the_nested_stack(result: dict) -> None:
    log_group = resource(result, "Parent/Inner", "AWS::Logs::LogGroup")
    assert log_group["action"] == "update"
    assert log_group["changes"] == [{"path": "RetentionInDays", "old": "7", "new": "30"}]
    parent = resource(result, "Parent", "AWS::CloudFormation::Stack", "update")
    assert parent["action"] == "update"
    assert parent["note"] == "nested stack: its changes are listed under Parent/Inner"


def test_stage_stacks_are_read_from_their_nested_assembly(result: dict) -> None:
    (staged,) = [s for s in result["stacks"] if s["id"].startswith("assembly-Prod/")]
    assert staged["id"].startswith("assembly-Prod/ProdQueues")  # <stage artifact>/<stack artifact>
    (queue,) = staged["resources"]
    assert (queue["type"], queue["action"]) == ("AWS::SQS::Queue", "update")
    assert queue["changes"] == [{"path": "MessageRetentionPeriod", "old": "345600", "new": "604800"}]


def test_removed_nested_stack_deletes_its_resources(result: dict) -> None:
    legacy = stack(result, "Parent/Legacy")
    assert legacy["status"] == "removed"
    assert legacy["note"] == "nested stack removed: its resources are deleted"
    (trail,) = legacy["resources"]
    assert (trail["type"], trail["action"]) == ("AWS::Logs::LogGroup", "remove")
    assert trail["data_at_risk"] == "deleted with its data (DeletionPolicy Delete)"
    removed = resource(result, "Parent", "AWS::CloudFormation::Stack", "remove")
    assert removed["path"] == "Parent/Legacy.NestedStack/Legacy.NestedStackResource"
    assert removed["note"] == "nested stack removed: its resources are listed under Parent/Legacy"


def test_summary_counts(result: dict) -> None:
    summary = result["summary"]
    assert (summary["will_replace"], summary["may_replace"]) == (2, 1)
    assert summary["iam_broadening"] == 3  # IamWildcard's statement and managed policy, ResourcePolicy's merged one
    assert summary["settings_off"] == 2
    assert summary["data_at_risk"] == 7
    assert summary["new_acknowledgments"] == 2  # Acknowledged/Events, and the renamed bucket's (its old one is "fixed")


def test_create_only_data_is_cached_per_cfn_lint_version(assemblies, tmp_path) -> None:
    """A first review reads cfn-lint's schemas and saves the lists; the next one reads only the cache."""
    import json
    import os
    import subprocess
    import sys
    from importlib.metadata import version

    probe = ("import sys; from stagelift.review import review; r = review(sys.argv[1], sys.argv[2]);"
             "print(sorted(s['id'] for s in r['stacks'] if s['replaced']), 'cfnlint' in sys.modules)")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    cold = subprocess.run([sys.executable, "-c", probe, *map(str, assemblies)], env=env, capture_output=True, text=True, check=True)
    warm = subprocess.run([sys.executable, "-c", probe, *map(str, assemblies)], env=env, capture_output=True, text=True, check=True)
    assert cold.stdout == "['Conditional', 'CreateOnly', 'TaskSize'] True\n"
    assert warm.stdout == "['Conditional', 'CreateOnly', 'TaskSize'] False\n"  # same answer, cfn-lint never imported
    cache = json.loads((tmp_path / "stagelift" / f"replacement-rules-cfn-lint-{version('cfn-lint')}.json").read_text())
    assert "/properties/StorageEncrypted" in cache["us-east-1/AWS::RDS::DBInstance"]["createOnlyProperties"]
