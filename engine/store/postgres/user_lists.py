"""Each user's own lists on the PostgreSQL catalog, and the tag reads that show them.

Favourites (``favourites``), user tags (``user_tags``) and collections belong to the store's user
(``[store] user``, else the database role); the backends' tags, musical facts and copy groups are
everyone's. A tag read sees the backends' tags and this user's own, under the source ``user`` as in
the SQLite store (:data:`~.catalog.MY_TAGS`, the table the shared tag reads of :mod:`...reads` read here).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from soundalike.engine.store.postgres.catalog import MY_TAGS, PgCatalog
from soundalike.engine.store.rows import FolderUse
from soundalike.engine.store.user_lists import clean_name


def add_user_tag(catalog: PgCatalog, ids: Iterable[int], tag: str) -> str:
    tag = clean_name(tag, "tag").lower()
    with catalog.transaction() as tx:
        tx.executemany(
            "INSERT INTO user_tags(username, sample_id, tag) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(catalog.user, sid, tag) for sid in ids],
        )
    return tag


def remove_user_tag(catalog: PgCatalog, ids: Iterable[int], tag: str) -> str:
    tag = clean_name(tag, "tag").lower()
    with catalog.transaction() as tx:
        tx.executemany(
            "DELETE FROM user_tags WHERE username = ? AND sample_id = ? AND tag = ?",
            [(catalog.user, sid, tag) for sid in ids],
        )
    return tag


def user_tags(catalog: PgCatalog) -> list[tuple[str, int]]:
    return [
        (tag, int(n))
        for tag, n in catalog.query(
            "SELECT tag, count(*) FROM user_tags WHERE username = ? GROUP BY tag ORDER BY count(*) DESC, tag",
            (catalog.user,),
        )
    ]


def add_to_collection(catalog: PgCatalog, name: str, ids: Iterable[int]) -> str:
    """Add samples to the user's collection ``name`` (made when new); returns the name as stored."""
    name = clean_name(name, "collection")
    now = time.time()
    with catalog.transaction() as tx:
        tx.execute(
            "INSERT INTO collections(username, name, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (catalog.user, name, now),
        )
        row = tx.execute("SELECT id FROM collections WHERE username = ? AND name = ?", (catalog.user, name)).fetchone()
        assert row is not None  # inserted above, or there already
        tx.executemany(
            "INSERT INTO collection_items(collection_id, sample_id, added) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(row[0], sid, now) for sid in ids],
        )
    return name


def collections(catalog: PgCatalog) -> list[tuple[str, int]]:
    return [
        (name, int(n))
        for name, n in catalog.query(
            "SELECT c.name, count(i.sample_id) FROM collections c LEFT JOIN collection_items i "
            "ON i.collection_id = c.id WHERE c.username = ? GROUP BY c.id, c.name ORDER BY lower(c.name), c.name",
            (catalog.user,),
        )
    ]


def best_tags(catalog: PgCatalog, min_score: float) -> dict[int, str]:
    """Every playable sample's best-scoring tag, from any source, scored at least ``min_score``."""
    rows = catalog.query(
        f"SELECT DISTINCT ON (t.sample_id) t.sample_id, t.tag FROM {MY_TAGS} t JOIN samples s ON s.id = t.sample_id "
        "WHERE s.status = 'ok' AND t.score >= ? ORDER BY t.sample_id, t.score DESC, t.tag",
        (catalog.user, min_score),
    )
    return {int(sid): tag for sid, tag in rows}


def folder_use(catalog: PgCatalog, root: str) -> FolderUse:
    """What a folder holds: samples, and the user's own favourites, tagged and collected samples in it."""
    root = catalog.paths.stored(root)
    samples = catalog.query("SELECT count(*) FROM samples WHERE root = ?", (root,))[0][0]
    favourites, tagged = (
        catalog.query(
            f"SELECT count(DISTINCT t.sample_id) FROM {table} t JOIN samples s ON s.id = t.sample_id "
            "WHERE s.root = ? AND t.username = ?",
            (root, catalog.user),
        )[0][0]
        for table in ("favourites", "user_tags")
    )
    collected = catalog.query(
        "SELECT count(DISTINCT i.sample_id) FROM collection_items i JOIN collections c ON c.id = i.collection_id "
        "JOIN samples s ON s.id = i.sample_id WHERE s.root = ? AND c.username = ?",
        (root, catalog.user),
    )[0][0]
    return FolderUse(int(samples), int(favourites), int(tagged), int(collected))
