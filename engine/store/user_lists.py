"""A producer's own words on their sounds: user tags and named collections.

User tags are tags of source ``USER_SOURCE`` (score 1.0) in the ``tags`` table, so they show,
filter and count beside the backends' tags with no extra code, and, keyed by sample id, they
stay through renames and moves like favourites (a backend re-tagging a file replaces only its
own source). Collections are named lists of sample ids (``collections``, ``collection_items``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from soundalike.engine.errors import QueryError
from soundalike.engine.store.rows import USER_SOURCE

if TYPE_CHECKING:
    from soundalike.engine.store.catalog import Catalog

MAX_NAME = 64


def clean_name(text: str, what: str) -> str:
    """A tag or collection name as typed, trimmed; QueryError when empty or too long."""
    name = " ".join(text.split())
    if not name:
        raise QueryError(f"a {what} needs a name")
    if len(name) > MAX_NAME:
        raise QueryError(f"a {what} name is at most {MAX_NAME} characters")
    return name


def add_user_tag(catalog: Catalog, ids: Iterable[int], tag: str) -> str:
    tag = clean_name(tag, "tag").lower()
    with catalog.transaction() as tx:
        tx.executemany(
            "INSERT OR REPLACE INTO tags(sample_id, source, tag, score) VALUES (?, ?, ?, 1.0)",
            [(sid, USER_SOURCE, tag) for sid in ids],
        )
    return tag


def remove_user_tag(catalog: Catalog, ids: Iterable[int], tag: str) -> str:
    tag = clean_name(tag, "tag").lower()
    with catalog.transaction() as tx:
        tx.executemany(
            "DELETE FROM tags WHERE sample_id = ? AND source = ? AND tag = ?", [(sid, USER_SOURCE, tag) for sid in ids]
        )
    return tag


def user_tags(catalog: Catalog) -> list[tuple[str, int]]:
    """(tag, samples) of every user tag, most used first."""
    return [
        (t, n)
        for t, n in catalog.query(
            "SELECT tag, count(*) FROM tags WHERE source = ? GROUP BY tag ORDER BY count(*) DESC, tag", (USER_SOURCE,)
        )
    ]


def add_to_collection(catalog: Catalog, name: str, ids: Iterable[int]) -> str:
    """Add samples to the collection ``name`` (made when new); returns the name as stored."""
    name = clean_name(name, "collection")
    now = time.time()
    with catalog.transaction() as tx:
        tx.execute("INSERT OR IGNORE INTO collections(name, created) VALUES (?, ?)", (name, now))
        (cid,) = tx.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        tx.executemany(
            "INSERT OR IGNORE INTO collection_items(collection_id, sample_id, added) VALUES (?, ?, ?)",
            [(cid, sid, now) for sid in ids],
        )
    return name


def collections(catalog: Catalog) -> list[tuple[str, int]]:
    """(name, samples) of every collection, by name."""
    return [
        (n, c)
        for n, c in catalog.query(
            "SELECT c.name, count(i.sample_id) FROM collections c LEFT JOIN collection_items i "
            "ON i.collection_id = c.id GROUP BY c.id ORDER BY lower(c.name), c.name"
        )
    ]


#: SQL selecting the sample ids of one collection (parameter: its name).
IN_COLLECTION = (
    "id IN (SELECT sample_id FROM collection_items WHERE collection_id = (SELECT id FROM collections WHERE name = ?))"
)
