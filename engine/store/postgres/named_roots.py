"""Named roots in the PostgreSQL catalog: registering a folder as one, and taking in the rows that
were kept under its absolute path (indexed before the folder was a named root, or before this
version kept paths by named root), so a file is never known under two paths.

:mod:`.paths` says how a path is kept under a named root; this module writes it.
"""

from __future__ import annotations

import logging

from soundalike.engine.store.postgres.paths import PathMap, name_of_stored, root_name
from soundalike.engine.store.postgres.transaction import PgTransaction
from soundalike.engine.store.text import subtree_range

log = logging.getLogger(__name__)


#: The advisory lock that makes machines registering roots at once take turns.
_REGISTERING = 0x534F554E44  # "SOUND"


def register(tx: PgTransaction, paths: PathMap, machine: str, folder: str) -> str:
    """Make ``folder`` (under no named root) a named root of ``machine``: the root another machine
    registered at the same path (machines that mount the share alike need no ``roots`` setting),
    else a new one named after the folder (``NAME-2`` ... when that name is taken); returns the name."""
    tx.execute("SELECT pg_advisory_xact_lock(?)", (_REGISTERING,))
    same = tx.execute("SELECT name FROM machine_roots WHERE path = ? ORDER BY name LIMIT 1", (folder,)).fetchone()
    if same is not None:
        tx.execute(
            "INSERT INTO machine_roots(machine, name, path) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (machine, same[0], folder),
        )
        paths.add(same[0], folder)
        take_in(tx, paths, same[0])
        log.info('the folder %s is the shared root "%s", as on another machine', folder, same[0])
        return str(same[0])
    taken = {row[0] for row in tx.execute("SELECT DISTINCT name FROM machine_roots").fetchall()}
    taken |= {name_of_stored(row[0]) for row in tx.execute("SELECT path FROM roots").fetchall()}
    base = name = root_name(folder)
    number = 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    tx.execute("INSERT INTO machine_roots(machine, name, path) VALUES (?, ?, ?)", (machine, name, folder))
    paths.add(name, folder)
    take_in(tx, paths, name)
    log.warning(
        'the folder %s is the shared root "%s" now: on each other machine that plays it, add '
        '"%s=ITS PATH THERE" to roots under [store] (docs/studio.md)',
        folder,
        name,
        name,
    )
    return name


def take_in(tx: PgTransaction, paths: PathMap, name: str) -> int:
    """Keep the rows under the named root ``name``'s folder that are kept by absolute path under
    the name instead (samples, library folders, layer names); returns how many samples moved."""
    folder = paths.named[name]
    under = (folder, *subtree_range(folder))
    rows = tx.execute("SELECT id, path, root FROM samples WHERE path = ? OR (path >= ? AND path < ?)", under).fetchall()
    if rows:
        tx.executemany(
            "UPDATE samples SET path = ?, root = ? WHERE id = ?",
            [(paths.stored(path), paths.stored(root), sid) for sid, path, root in rows],
        )
        layers = tx.execute(
            "SELECT sample_id, layer_name FROM sounds WHERE sample_id = ANY(?)", ([r[0] for r in rows],)
        ).fetchall()
        tx.executemany(
            "UPDATE sounds SET layer_name = ? WHERE sample_id = ?",
            [(paths.layer(layer, to_stored=True), sid) for sid, layer in layers],
        )
        log.info("catalog: %d samples under %s are kept under the named root %s now", len(rows), folder, name)
    for (root,) in tx.execute("SELECT path FROM roots WHERE path = ? OR (path >= ? AND path < ?)", under).fetchall():
        tx.execute(
            "INSERT INTO roots(path, added, online) SELECT ?, added, online FROM roots WHERE path = ? "
            "ON CONFLICT (path) DO NOTHING",
            (paths.stored(root), root),
        )
        tx.execute("DELETE FROM roots WHERE path = ?", (root,))
    return len(rows)
