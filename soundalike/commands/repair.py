"""``soundalike repair``: check the catalog and salvage what is readable of a damaged one."""

from __future__ import annotations

import argparse

from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError
from soundalike.engine.library.repair import catalog_file, catalog_problems, salvage_catalog
from soundalike.engine.store.lock import LibraryLock


def add_parsers(commands) -> None:
    repair = commands.add_parser("repair", help="check the catalog; salvage what is readable of a damaged one")
    repair.set_defaults(handler=cmd_repair)


def cmd_repair(args: argparse.Namespace, settings: Settings) -> int:
    data_dir = settings.engine.resolved_data_dir()
    if settings.store.url:
        raise UserError(
            "repair salvages a SQLite catalog; this machine's catalog is the shared PostgreSQL one, which "
            "the server keeps sound: restore it from a backup if it is damaged (docs/studio.md), and "
            f"delete {data_dir / 'index'} to have this machine's indexes rebuilt from it"
        )
    if not data_dir.is_dir():
        raise UserError(f"there is no library at {data_dir}")
    catalog = catalog_file(data_dir)
    with LibraryLock(data_dir).hold("soundalike repair"):
        found = catalog_problems(data_dir)
        if not found:
            print(f"the catalog {catalog} is sound: nothing to repair")
            return 0
        print(f"the catalog {catalog} is damaged: {found[0]}")
        result = salvage_catalog(data_dir)
    kept, lost = result.kept, result.lost
    print(
        f"salvaged {kept.get('samples', 0)} samples, {kept.get('vectors', 0)} vectors, {kept.get('tags', 0)} tags, "
        f"{kept.get('roots', 0)} roots; left behind {sum(lost.values())} unreadable rows"
    )
    if result.damaged_copy is not None:
        print(f"the damaged catalog is kept as {result.damaged_copy}")
    print("next: soundalike index (files whose rows or vectors were lost are indexed again)")
    return 0
