"""Which store a library opens: the one place that names a store's implementation."""

from __future__ import annotations

from pathlib import Path

from soundalike.engine.store.interface import Store
from soundalike.engine.store.sqlite import SqliteStore

#: How a catalog given as a URL names a PostgreSQL server.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(catalog_path: str | Path) -> Store:
    """The library's store: the PostgreSQL catalog a ``postgresql://`` URL names, else the SQLite
    catalog at ``catalog_path`` (made when new)."""
    if isinstance(catalog_path, str) and catalog_path.startswith(POSTGRES_SCHEMES):
        from soundalike.engine.store.postgres.store import PostgresStore  # psycopg: the "studio" extra

        return PostgresStore(catalog_path)
    return SqliteStore(catalog_path)
