"""Which store a library opens: the one place that names a store's implementation."""

from __future__ import annotations

from pathlib import Path

from soundalike.engine.config import POSTGRES_SCHEMES, StoreSettings
from soundalike.engine.store.interface import Store
from soundalike.engine.store.sqlite import SqliteStore


def is_shared(catalog: str | Path) -> bool:
    """Whether ``catalog`` names a shared (PostgreSQL) catalog rather than a SQLite file."""
    return isinstance(catalog, str) and catalog.startswith(POSTGRES_SCHEMES)


def open_store(catalog: str | Path, settings: StoreSettings | None = None) -> Store:
    """The library's store: the PostgreSQL catalog a ``postgresql://`` URL names (``settings``: this
    machine's user, name and root paths in it), else the SQLite catalog at ``catalog`` (made when new)."""
    if is_shared(catalog):
        from soundalike.engine.store.postgres.store import PostgresStore  # psycopg: the "studio" extra

        return PostgresStore(str(catalog), settings or StoreSettings())
    return SqliteStore(catalog)
