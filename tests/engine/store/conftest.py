"""Fixtures of the store tests: a real PostgreSQL server, for the PostgreSQL store."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.engine.store.postgres_server import MISSING, NO_POSTGRES, PostgresServer, binaries


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for this test process, stopped (and its cluster removed) at the end."""
    if os.environ.get(NO_POSTGRES) == "1":
        pytest.skip(f"{NO_POSTGRES}=1: the PostgreSQL store is not tested")
    bin_dir = binaries()
    if bin_dir is None:
        pytest.fail(MISSING, pytrace=False)
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
