"""Which store a library opens: the one place that names a store's implementation."""

from __future__ import annotations

from pathlib import Path

from soundalike.engine.store.interface import Store
from soundalike.engine.store.sqlite import SqliteStore


def open_store(catalog_path: str | Path) -> Store:
    """The library's store: today always the SQLite catalog at ``catalog_path`` (made when new)."""
    return SqliteStore(catalog_path)
