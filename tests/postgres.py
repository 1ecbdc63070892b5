"""A throwaway PostgreSQL 15 server for tests: initdb + pg_ctl into a temporary folder.

Password authentication (scram-sha-256) over TCP on 127.0.0.1, like RDS; as root the server runs
as the ``postgres`` system user (PostgreSQL refuses to run as root). The master role mimics the
RDS master user: CREATEROLE and CREATEDB, not a superuser, owner of the ``app`` database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pg8000.native

BIN = Path(os.environ.get("STAGELIFT_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "superuser-secret"
MASTER_USER = "postgres_admin"
MASTER_PASSWORD = "master-secret"
APP_DATABASE = "app"


@dataclass(frozen=True)
class LocalPostgres:
    host: str
    port: int

    def connect(self, user: str, password: str, database: str = "postgres") -> pg8000.native.Connection:
        return pg8000.native.Connection(user=user, password=password, host=self.host, port=self.port, database=database, timeout=30)


def available() -> bool:
    return (BIN / "initdb").is_file() and (BIN / "pg_ctl").is_file()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def local_postgres() -> Iterator[LocalPostgres]:
    """Start PostgreSQL 15 with a master role like RDS's; stop it and delete its files afterwards."""
    root = Path(tempfile.mkdtemp(prefix="stagelift-pg-"))
    data, pwfile = root / "data", root / "pwfile"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_server_user([str(BIN / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
    subprocess.run(
        _as_server_user([str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "-t", "60", "start"]),
        check=True,
        capture_output=True,
    )
    server = LocalPostgres("127.0.0.1", port)
    try:
        admin = server.connect(SUPERUSER, SUPERUSER_PASSWORD)
        admin.run(f"CREATE ROLE {MASTER_USER} LOGIN CREATEROLE CREATEDB PASSWORD {pg8000.native.literal(MASTER_PASSWORD)}")
        admin.run(f"CREATE DATABASE {APP_DATABASE} OWNER {MASTER_USER}")
        admin.close()
        yield server
    finally:
        subprocess.run(_as_server_user([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
