"""The database-user function against a real PostgreSQL 15 (what runs in Lambda at deploy time)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pg8000.native
import pytest

from stagelift.functions.database_users.index import create_application_users
from tests.postgres import APP_DATABASE, MASTER_PASSWORD, MASTER_USER, LocalPostgres


def _create(server: LocalPostgres, users: dict[str, str], **options: object) -> None:
    create_application_users(
        host=server.host,
        port=server.port,
        dbname=str(options.pop("dbname", "postgres")),
        master_user=MASTER_USER,
        master_password=MASTER_PASSWORD,
        users=users,
        sslmode="disable",
        **options,  # type: ignore[arg-type]
    )


def _value(connection: pg8000.native.Connection, sql: str) -> object:
    return connection.run(sql)[0][0]


def test_creates_a_user_that_logs_in_and_creates_its_own_databases(postgres: LocalPostgres) -> None:
    _create(postgres, {"backstage": "first-password"})
    portal = postgres.connect("backstage", "first-password")
    # Backstage creates one database per plugin (pluginDivisionMode: database).
    portal.run("CREATE DATABASE backstage_plugin_catalog")
    portal.close()
    catalog = postgres.connect("backstage", "first-password", "backstage_plugin_catalog")
    catalog.run("CREATE TABLE entities (id text PRIMARY KEY)")
    catalog.close()


def test_a_rerun_never_changes_an_existing_password(postgres: LocalPostgres) -> None:
    _create(postgres, {"rerun": "deployed-password"})
    _create(postgres, {"rerun": "password-after-rotation"})
    postgres.connect("rerun", "deployed-password").close()
    with pytest.raises(pg8000.native.DatabaseError, match="password authentication failed"):
        postgres.connect("rerun", "password-after-rotation")


def test_concurrent_runs_serialize_on_the_advisory_lock(postgres: LocalPostgres) -> None:
    users = {f"concurrent{i}": f"password-{i}" for i in range(5)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = [pool.submit(_create, postgres, users) for _ in range(4)]
        for run in runs:
            run.result()  # without the lock one of them fails with "role ... already exists"
    for name, password in users.items():
        postgres.connect(name, password).close()


def test_the_clone_login_acts_as_the_user_so_alternating_rotation_keeps_ownership(postgres: LocalPostgres) -> None:
    _create(postgres, {"svc": "svc-password"})
    owner = postgres.connect("svc", "svc-password")
    owner.run("CREATE DATABASE svc_data")
    owner.close()
    # What Secrets Manager's alternating-users rotation does to the partner login.
    master = postgres.connect(MASTER_USER, MASTER_PASSWORD)
    master.run("ALTER USER svc_clone WITH PASSWORD 'rotated-password'")
    master.close()
    clone = postgres.connect("svc_clone", "rotated-password", "svc_data")
    assert _value(clone, "SELECT current_user") == "svc"
    clone.run("CREATE TABLE made_by_clone (id int)")
    assert _value(clone, "SELECT tableowner FROM pg_tables WHERE tablename = 'made_by_clone'") == "svc"
    clone.close()


def test_grant_schema_lets_a_service_keep_tables_in_the_master_owned_database(postgres: LocalPostgres) -> None:
    _create(postgres, {"orders": "orders-password"}, dbname=APP_DATABASE, grant_schema=True)
    service = postgres.connect("orders", "orders-password", APP_DATABASE)
    service.run("CREATE TABLE orders (id int)")  # PostgreSQL 15 gives PUBLIC no CREATE on public
    service.close()


def test_a_failed_run_leaves_nothing_half_made(postgres: LocalPostgres) -> None:
    # Users are created in name order: "aaa" succeeds, then the reserved "pg_" prefix fails.
    with pytest.raises(pg8000.native.DatabaseError, match="reserved"):
        _create(postgres, {"aaa_first": "password", "pg_reserved": "password"})
    master = postgres.connect(MASTER_USER, MASTER_PASSWORD)
    assert master.run("SELECT rolname FROM pg_roles WHERE rolname LIKE 'aaa_first%'") == []
    master.close()


def test_bad_input_is_refused_before_connecting() -> None:
    with pytest.raises(ValueError, match="sslmode = 'verify-ca'"):
        create_application_users(host="db", port=5432, dbname="postgres", master_user="m", master_password="p", users={"a": "b"}, sslmode="verify-ca")
    with pytest.raises(ValueError, match="backstage_clone"):
        create_application_users(host="db", port=5432, dbname="postgres", master_user="m", master_password="p", users={"backstage_clone": "x"}, sslmode="disable")


def test_the_custom_resource_reads_the_secrets_and_creates_the_users(postgres: LocalPostgres, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import boto3
    from moto import mock_aws

    from stagelift.functions.database_users import index

    # The deployed function requires TLS; the local server has none.
    real = index.create_application_users
    monkeypatch.setattr(index, "create_application_users", lambda **kw: real(**{**kw, "sslmode": "disable"}))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        client = boto3.client("secretsmanager")
        master = client.create_secret(Name="master", SecretString=json.dumps({"username": MASTER_USER, "password": MASTER_PASSWORD}))["ARN"]
        app = client.create_secret(Name="app", SecretString=json.dumps({"username": "handler_app", "password": "app-password"}))["ARN"]
        # After a rotation the secret names the partner login: the user is its base name.
        rotated = client.create_secret(Name="rotated", SecretString=json.dumps({"username": "handler_app_clone", "password": "other"}))["ARN"]
        event = {
            "RequestType": "Create",
            "ResourceProperties": {
                "Host": postgres.host, "Port": str(postgres.port), "DatabaseName": APP_DATABASE,
                "MasterSecretArn": master, "UserSecretArns": [app], "GrantSchema": "true",
            },
        }
        result = index.handler(event, None)
        assert result["Data"] == {"Users": "handler_app"}
        index.handler({**event, "RequestType": "Update", "ResourceProperties": {**event["ResourceProperties"], "UserSecretArns": [rotated]}}, None)
        deleted = index.handler({**event, "RequestType": "Delete", "PhysicalResourceId": result["PhysicalResourceId"]}, None)
        assert deleted["PhysicalResourceId"] == result["PhysicalResourceId"]
    service = postgres.connect("handler_app", "app-password", APP_DATABASE)
    service.run("CREATE TABLE t (id int)")
    service.close()
