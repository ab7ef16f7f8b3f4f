"""A library folder as a whole: what of the user's it holds, and forgetting it.

Forgetting a folder drops its rows (samples, and through the schema's cascades their vectors, tags,
musical facts and collection items) and the folder itself; the files on disk are never touched.
"""

from __future__ import annotations

import sqlite3

from soundalike.engine.store.rows import USER_SOURCE, FolderUse


def folder_use(catalog, root: str) -> FolderUse:
    samples, favourites = catalog.query(
        "SELECT count(*), coalesce(sum(favourite != 0), 0) FROM samples WHERE root = ?", (root,)
    )[0]
    tagged = catalog.query(
        "SELECT count(DISTINCT t.sample_id) FROM tags t JOIN samples s ON s.id = t.sample_id "
        "WHERE s.root = ? AND t.source = ?",
        (root, USER_SOURCE),
    )[0][0]
    collected = catalog.query(
        "SELECT count(DISTINCT c.sample_id) FROM collection_items c JOIN samples s "
        "ON s.id = c.sample_id WHERE s.root = ?",
        (root,),
    )[0][0]
    return FolderUse(int(samples), int(favourites), int(tagged), int(collected))


def forget_folder(tx: sqlite3.Connection, root: str) -> list[int]:
    """Delete the folder's samples (their vectors, tags, facts and collection items go with them)
    and the folder; returns the sample ids, to be taken out of the vector indexes."""
    ids = [row[0] for row in tx.execute("SELECT id FROM samples WHERE root = ?", (root,))]
    tx.execute("DELETE FROM samples WHERE root = ?", (root,))
    tx.execute("DELETE FROM roots WHERE path = ?", (root,))
    return ids
