from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres import LocalPostgres, available, local_postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    if not available():
        pytest.fail("PostgreSQL 15 (initdb, pg_ctl) is needed: apt-get install postgresql-15, or set STAGELIFT_PG_BIN")
    with local_postgres() as server:
        yield server
