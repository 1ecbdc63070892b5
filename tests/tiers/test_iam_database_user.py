"""The statement IamDatabaseUser runs through the RDS Data API, run by PostgreSQL 15 itself.

A throwaway server (initdb + pg_ctl, trust authentication on a private socket folder) with what
RDS provides: an ``rds_iam`` role and a master user with CREATEROLE that owns the ``app``
database (not a superuser). The statement runs as that master user, as the Data API does with
the master secret.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from stagelift.constructs.iam_database_user import iam_user_sql

BIN = Path(os.environ.get("STAGELIFT_PG_BIN", "/usr/lib/postgresql/15/bin"))
MASTER = "postgres_admin"


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Server:
    def __init__(self, socket_dir: Path, port: int) -> None:
        self.socket_dir, self.port = socket_dir, port

    def sql(self, statement: str, *, user: str = "postgres", database: str = "app") -> str:
        result = subprocess.run(
            [str(BIN / "psql"), "-h", str(self.socket_dir), "-p", str(self.port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-tA", "-c", statement],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return result.stdout.strip()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not (BIN / "initdb").is_file():
        pytest.fail(f"PostgreSQL 15 is needed at {BIN} (apt-get install postgresql-15, or set STAGELIFT_PG_BIN)")
    root = Path(tempfile.mkdtemp(prefix="stagelift-iam-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", 54329
    subprocess.run(_as_server_user([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"]), check=True, capture_output=True)
    options = f"-c listen_addresses='' -c port={port} -c unix_socket_directories={root} -c fsync=off"
    subprocess.run(_as_server_user([str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]), check=True, capture_output=True)
    try:
        server = Server(root, port)
        for statement in ("CREATE ROLE rds_iam", f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB", f"CREATE DATABASE app OWNER {MASTER}"):
            server.sql(statement, database="postgres")
        yield server
    finally:
        subprocess.run(_as_server_user([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_the_user_is_created_for_iam_tokens_and_may_work_in_the_database(server: Server) -> None:
    server.sql(iam_user_sql("catalog", "app"), user=MASTER)
    assert server.sql("SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = 'catalog'") == "t|t"
    assert server.sql("SELECT pg_has_role('catalog', 'rds_iam', 'MEMBER')") == "t"
    server.sql("CREATE TABLE orders (id int); INSERT INTO orders VALUES (1)", user="catalog")
    assert server.sql("SELECT count(*) FROM orders", user="catalog") == "1"


def test_running_again_changes_nothing_and_fails_nothing(server: Server) -> None:
    server.sql(iam_user_sql("again", "app"), user=MASTER)
    server.sql(iam_user_sql("again", "app"), user=MASTER)
    assert server.sql("SELECT count(*) FROM pg_roles WHERE rolname = 'again'") == "1"


def test_names_that_are_not_plain_identifiers_are_refused() -> None:
    with pytest.raises(ValueError, match="user = 'x\"; DROP ROLE y; --': expected a lowercase PostgreSQL identifier"):
        iam_user_sql('x"; DROP ROLE y; --', "app")
