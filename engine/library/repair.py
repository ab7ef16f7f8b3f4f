"""Checking and salvaging a library's catalog from outside the library (``soundalike repair``).

A damaged catalog cannot be opened as a ``Library``, so these work on the data folder. The caller
holds the library lock (:mod:`soundalike.engine.store.lock`) while it repairs.
"""

from __future__ import annotations

from pathlib import Path

from soundalike.engine.store.salvage import Salvage, problems, salvage

CATALOG_NAME = "catalog.sqlite"


def catalog_file(data_dir: Path) -> Path:
    return data_dir / CATALOG_NAME


def catalog_problems(data_dir: Path) -> list[str]:
    """What is wrong with the library's catalog, worst first; empty when it is sound."""
    catalog = catalog_file(data_dir)
    if not catalog.exists() or catalog.stat().st_size == 0:
        return ["it is missing or empty"]
    return problems(catalog)


def salvage_catalog(data_dir: Path) -> Salvage:
    """Rebuild the catalog from its readable rows (the damaged file is kept aside) and delete the
    saved indexes: the next open rebuilds them from the salvaged vectors."""
    result = salvage(catalog_file(data_dir))
    index_dir = data_dir / "index"
    for saved in [*index_dir.glob("*.faiss"), *index_dir.glob("*.faiss.version")]:
        saved.unlink()
    return result
