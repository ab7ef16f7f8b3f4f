"""Each user's own lists on the PostgreSQL catalog, and the tag reads that show them.

Favourites (``favourites``), user tags (``user_tags``) and collections belong to the store's user
(``[store] user``, else the database role); the backends' tags, musical facts and copy groups are
everyone's. A tag read sees the backends' tags and this user's own, under the source ``user`` as in
the SQLite store (:data:`~.catalog.MY_TAGS`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from soundalike.engine.store.postgres.catalog import MY_TAGS, PgCatalog
from soundalike.engine.store.user_lists import clean_name
from soundalike.engine.tags import tag_label


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


def all_tags(catalog: PgCatalog) -> list[tuple[str, int]]:
    return [
        (tag, int(n))
        for tag, n in catalog.query(
            f"SELECT tag, count(DISTINCT sample_id) FROM {MY_TAGS} t GROUP BY tag "
            "ORDER BY count(DISTINCT sample_id) DESC, tag",
            (catalog.user,),
        )
    ]


def scored_tag_counts(catalog: PgCatalog, min_score: float) -> list[tuple[str, int]]:
    return [
        (tag, int(n))
        for tag, n in catalog.query(
            f"SELECT tag, count(DISTINCT sample_id) FROM {MY_TAGS} t WHERE score >= ? GROUP BY tag "
            "ORDER BY count(DISTINCT sample_id) DESC, tag",
            (catalog.user, min_score),
        )
    ]


def top_tags(catalog: PgCatalog, ids: list[int], min_score: float, per_sample: int) -> dict[int, list[str]]:
    """As the SQLite store's: each sample's best tags, a sample with none that sure its best marked unsure."""
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        rows = catalog.query(
            f"SELECT sample_id, tag, max(score) AS s FROM {MY_TAGS} t WHERE sample_id = ANY(?) "
            "GROUP BY sample_id, tag ORDER BY sample_id, s DESC, tag",
            (catalog.user, ids[start : start + 500]),
        )
        for sid, tag, score in rows:
            tags = out.setdefault(sid, [])
            if not tags:
                tags.append(tag_label(tag, score, min_score))
            elif len(tags) < per_sample and score >= min_score:
                tags.append(tag)
    return out


def best_tags(catalog: PgCatalog, min_score: float) -> dict[int, str]:
    """Every playable sample's best-scoring tag, from any source, scored at least ``min_score``."""
    rows = catalog.query(
        f"SELECT DISTINCT ON (t.sample_id) t.sample_id, t.tag FROM {MY_TAGS} t JOIN samples s ON s.id = t.sample_id "
        "WHERE s.status = 'ok' AND t.score >= ? ORDER BY t.sample_id, t.score DESC, t.tag",
        (catalog.user, min_score),
    )
    return {int(sid): tag for sid, tag in rows}
