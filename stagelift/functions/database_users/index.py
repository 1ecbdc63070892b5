"""Creates a database's application users once per deploy: the only code that reads the master secret.

Run by CloudFormation as a custom resource (``handler``) from a Lambda in the VPC, before the
service that uses the users starts; ``create_application_users`` is the pure part, which an
end-to-end test runs against a local PostgreSQL.

For every user it makes sure that:

- the user exists with its password; an existing user's password is never changed (a rotation
  may have changed it since, and writing the old one back would lock the service out);
- it may create databases (Backstage creates one per plugin);
- ``<user>_clone`` exists, is a member of the user and switches to it at login
  (``SET role``), so Secrets Manager's alternating-users rotation can hand out either login and
  both act as the user: every object stays owned by one role.

Everything runs in one transaction behind an advisory lock, so two runs at once (two stacks,
a retried deploy) serialize, and the second finds the users made by the first.
"""

from __future__ import annotations

import json
import logging
import ssl
import time
from collections.abc import Mapping
from typing import Any

import pg8000.native

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

# Any fixed 64-bit key shared by every run against the same server ("stagelift" in ASCII).
LOCK_KEY = 0x737461_67656C_6966
CLONE_SUFFIX = "_clone"
SSL_MODES = ("disable", "require")
ATTEMPTS = 4


def _ssl_context(sslmode: str) -> ssl.SSLContext | None:
    if sslmode == "disable":
        return None
    if sslmode == "require":
        # libpq's "require": encrypted, server certificate not verified (the RDS CA bundle is
        # not in the Lambda's trust store; the connection never leaves the VPC).
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    raise ValueError(f"sslmode = {sslmode!r}: allowed values are {', '.join(SSL_MODES)}")


def _ident(name: str) -> str:
    """A quoted SQL identifier (role and database names cannot be bind parameters)."""
    if not name or "\x00" in name:
        raise ValueError(f"user name {name!r} is empty or holds a NUL character")
    return pg8000.native.identifier(name)


def create_application_users(
    *,
    host: str,
    port: int,
    dbname: str,
    master_user: str,
    master_password: str,
    users: dict[str, str],
    sslmode: str = "require",
    grant_schema: bool = False,
) -> None:
    """Create each of ``users`` (name -> initial password) if missing, with its ``_clone`` partner.

    :param host: database host name.
    :param port: database port.
    :param dbname: database to connect to (and, with ``grant_schema``, the one the users work in).
    :param master_user: a role with CREATEROLE (the RDS master user).
    :param master_password: its password.
    :param users: user name -> password used only when the user does not exist yet.
    :param sslmode: ``require`` (TLS, as RDS with ``rds.force_ssl`` demands) or ``disable``; default require.
    :param grant_schema: also give each user CONNECT and TEMPORARY on ``dbname`` and USAGE and CREATE
        on its ``public`` schema (a service keeping its tables there); default False (Backstage
        creates its own databases).
    """
    context = _ssl_context(sslmode)
    clones = [name for name in users if name.endswith(CLONE_SUFFIX)]
    if clones:
        raise ValueError(f"users {clones!r}: name the application user, not its {CLONE_SUFFIX} partner (it is created with it)")
    if not users:
        return
    connection = pg8000.native.Connection(
        user=master_user, password=master_password, host=host, port=port, database=dbname, ssl_context=context, timeout=30
    )
    try:
        connection.run("BEGIN")
        connection.run("SELECT pg_advisory_xact_lock(:key)", key=LOCK_KEY)
        for name, password in sorted(users.items()):
            _create_user(connection, name, password)
            if grant_schema:
                connection.run(f"GRANT CONNECT, TEMPORARY ON DATABASE {_ident(dbname)} TO {_ident(name)}")
                connection.run(f"GRANT USAGE, CREATE ON SCHEMA public TO {_ident(name)}")
        connection.run("COMMIT")
    except BaseException:
        connection.run("ROLLBACK")
        raise
    finally:
        connection.close()


def _exists(connection: pg8000.native.Connection, name: str) -> bool:
    return bool(connection.run("SELECT 1 FROM pg_roles WHERE rolname = :name", name=name))


def _create_user(connection: pg8000.native.Connection, name: str, password: str) -> None:
    user, clone = _ident(name), _ident(name + CLONE_SUFFIX)
    if _exists(connection, name):
        LOGGER.info("user %s exists: password left as it is", name)
        connection.run(f"ALTER ROLE {user} CREATEDB")
    else:
        # Utility statements take no bind parameters: the password goes in as a quoted literal.
        connection.run(f"CREATE ROLE {user} LOGIN CREATEDB PASSWORD {pg8000.native.literal(password)}")
        LOGGER.info("user %s created", name)
    if not _exists(connection, name + CLONE_SUFFIX):
        # No password: the rotation sets one when it first hands this login out.
        connection.run(f"CREATE ROLE {clone} LOGIN")
    connection.run(f"GRANT {user} TO {clone}")
    connection.run(f"ALTER ROLE {clone} SET role = {user}")


# --- the custom resource ------------------------------------------------------------------------


def _secret(client: Any, arn: str) -> dict[str, Any]:
    return json.loads(client.get_secret_value(SecretId=arn)["SecretString"])


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """CloudFormation custom resource (through the CDK provider framework): Create and Update create the users.

    Properties: ``Host``, ``Port``, ``DatabaseName``, ``MasterSecretArn`` (username, password),
    ``UserSecretArns`` (each with username and password), ``GrantSchema`` ("true"/"false").
    Delete does nothing: the users go with the database.
    """
    properties = event["ResourceProperties"]
    physical_id = f"{properties['Host']}/{properties['DatabaseName']}/users"
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event.get("PhysicalResourceId", physical_id)}
    import boto3  # in the Lambda runtime; imported here so the pure part needs no AWS SDK

    client = boto3.client("secretsmanager")
    users: dict[str, str] = {}
    for arn in properties.get("UserSecretArns", []):
        secret = _secret(client, arn)
        # After a rotation the secret may name the partner login; the user is its base name,
        # which exists already, so the password is not used.
        users[secret["username"].removesuffix(CLONE_SUFFIX)] = secret["password"]
    for attempt in range(1, ATTEMPTS + 1):
        # Read per attempt: a master rotation running right now changes the password.
        master = _secret(client, properties["MasterSecretArn"])
        try:
            create_application_users(
                host=properties["Host"],
                port=int(properties["Port"]),
                dbname=properties["DatabaseName"],
                master_user=master["username"],
                master_password=master["password"],
                users=users,
                sslmode="require",
                grant_schema=str(properties.get("GrantSchema", "false")).lower() == "true",
            )
            break
        except pg8000.native.DatabaseError as error:
            if attempt == ATTEMPTS or "28P01" not in str(error):  # invalid_password
                raise
            LOGGER.warning("master login refused (attempt %d), reading the secret again", attempt)
            time.sleep(10)
    return {"PhysicalResourceId": physical_id, "Data": {"Users": ",".join(sorted(users))}}
