"""Word search in the library view: the name and tag indexes agree with a plain substring scan."""

from __future__ import annotations

import random
import sqlite3

import pytest

from soundalike.engine.store import writes as cat
from soundalike.engine.store.catalog import Catalog
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.reads import count_browse, list_browse, list_samples, position_in_browse
from soundalike.engine.store.schema import MIGRATIONS, SCHEMA_VERSION
from soundalike.engine.store.where import where

NAMES = [
    "Kicks/808 Kick Long.wav",
    "Kicks/kick_02.wav",
    'Snares/Snare "Fat".wav',
    "Loops/Drüm Loop 120.wav",
    "FX/riser.wav",
    "Hats/hh_01.wav",
]


def add(catalog: Catalog, root: str, name: str) -> int:
    with catalog.transaction() as tx:
        return cat.record_sample(
            tx,
            path=f"{root}/{name}",
            root=root,
            size=1,
            mtime=1.0,
            content_hash=None,
            status="ok",
            reason=None,
            facts=None,
        )


def names(catalog: Catalog, *words: str) -> list[str]:
    rows = list_browse(catalog, Filters(tag_min_score=0.5, words=words))
    assert count_browse(catalog, Filters(tag_min_score=0.5, words=words)) == len(rows)
    return [row.path.split("/", 2)[-1] for row in rows]


@pytest.fixture
def catalog(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    for name in NAMES:
        add(catalog, "/Samples", name)
    yield catalog
    catalog.close()


@pytest.mark.parametrize(
    "words,expected",
    [
        (("kick",), ["Kicks/808 Kick Long.wav", "Kicks/kick_02.wav"]),
        (("KICK", "long"), ["Kicks/808 Kick Long.wav"]),
        (("drüm",), ["Loops/Drüm Loop 120.wav"]),
        (('"fat"',), ['Snares/Snare "Fat".wav']),
        (("hh",), ["Hats/hh_01.wav"]),  # shorter than a trigram: scanned instead
        (("samples",), []),  # the root is not part of the name
        (("*",), []),
    ],
)
def test_word_search(catalog, words, expected):
    assert names(catalog, *words) == expected


def test_index_follows_moves_and_deletes(catalog):
    with catalog.transaction() as tx:
        tx.execute("UPDATE samples SET path = '/Samples/FX/whoosh.wav' WHERE path = '/Samples/FX/riser.wav'")
        tx.execute("DELETE FROM samples WHERE path = '/Samples/Kicks/kick_02.wav'")
    assert names(catalog, "riser") == [] and names(catalog, "whoosh") == ["FX/whoosh.wav"]
    assert names(catalog, "kick") == ["Kicks/808 Kick Long.wav"]


def _old_catalog(path, version: int, sample_path: str) -> sqlite3.Connection:
    """A catalog file as schema ``version`` left it, holding one sample (id 1) at ``sample_path``."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(f"BEGIN; {' '.join(MIGRATIONS[:version])} PRAGMA user_version = {version}; COMMIT;")
    conn.execute(
        "INSERT INTO samples(path, root, size, mtime, status, added, updated) VALUES (?, '/S', 1, 1, 'ok', 0, 0)",
        (sample_path,),
    )
    return conn


def test_migrating_a_version_1_catalog_indexes_existing_names(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_catalog(path, 1, "/S/Kicks/old kick.wav").close()
    catalog = Catalog(path)
    assert catalog.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    assert [r.path for r in list_browse(catalog, Filters(tag_min_score=0.5, words=("old kick",)))] == [
        "/S/Kicks/old kick.wav"
    ]
    catalog.close()


# --- tags: a word matches a tag it is part of, scored at least tag_min_score --------------------
TAGS = {
    "FX/riser.wav": {"closed hat": 0.9, "kick": 0.2},
    "Kicks/kick_02.wav": {"kick": 0.95},
    "Loops/Drüm Loop 120.wav": {"percussion": 0.7, "cymbal": 0.5},
    "Hats/hh_01.wav": {"closed hat": 0.4},
}


@pytest.fixture
def tagged(catalog):
    ids = {row.path.split("/", 2)[-1]: row.id for row in list_browse(catalog, Filters())}
    with catalog.transaction() as tx:
        for name, tags in TAGS.items():
            cat.store_tags(tx, ids[name], "builtin", tags)
        cat.store_tags(tx, ids["FX/riser.wav"], "clap", {"whoosh": 0.8})
    return catalog


@pytest.mark.parametrize(
    "words,expected",
    [
        (("closed",), ["FX/riser.wav"]),  # hh_01's "closed hat" scores under 0.5
        (("OS",), ["FX/riser.wav"]),  # two letters: the name half scans, the tag half still uses the index
        (("hat",), ["FX/riser.wav", "Hats/hh_01.wav"]),  # by tag, and by name
        (("kick",), ["Kicks/808 Kick Long.wav", "Kicks/kick_02.wav"]),  # riser's kick is scored 0.2
        (("cussion", "cymbal"), ["Loops/Drüm Loop 120.wav"]),  # a score of exactly the minimum counts
        (("whoosh",), ["FX/riser.wav"]),  # any source
        (("hat", "whoosh"), ["FX/riser.wav"]),
        (("zzz",), []),
    ],
)
def test_words_match_confident_tags(tagged, words, expected):
    assert names(tagged, *words) == expected


def test_word_search_agrees_with_a_plain_scan(tagged):
    """Random words, old and new query side by side: a lowered word inside the name below the root
    or inside a tag (as stored) scored at least the minimum."""
    rows = {r.path.split("/", 2)[-1]: r for r in list_browse(tagged, Filters())}
    every_tag = " ".join(t for tags in TAGS.values() for t in tags) + " whoosh"
    rng = random.Random(7)
    for _ in range(200):
        source = rng.choice([every_tag, *rows])
        start = rng.randrange(len(source))
        word = (source[start : start + rng.randint(1, 5)].split() or ["a"])[0]  # as the search box splits
        word = word.upper() if rng.random() < 0.3 else word
        expected = sorted(
            name
            for name, row in rows.items()
            if word.lower() in "/" + name.lower()  # the name below the root starts at its "/"
            or any(
                word.lower() in tag and score >= 0.5
                for by_source in tagged.tags(row.id).values()
                for tag, score in by_source.items()
            )
        )
        assert names(tagged, word) == expected, word


def _plan(catalog: Catalog, sql: str, params: list) -> list[str]:
    return [row[3] for row in catalog.query("EXPLAIN QUERY PLAN " + sql, params)]


@pytest.mark.parametrize(
    "query",
    [
        Filters(words=("hat",), tag_min_score=0.5),
        Filters(words=("os",), tag_min_score=0.5),
        Filters(words=("kick", "c"), tag="closed hat", tag_min_score=0.5),
        Filters(tag="kick", tag_min_score=0.5),
    ],
)
def test_tags_are_looked_up_by_index_never_scanned(tagged, query):
    where_sql, params = where(query)
    for sql, args in [
        (f"SELECT count(*) FROM samples{where_sql}", params),
        (f"SELECT id FROM samples{where_sql} ORDER BY path LIMIT ? OFFSET ?", [*params, 200, 0]),
    ]:
        plan = _plan(tagged, sql, args)
        assert not [step for step in plan if step.startswith("SCAN tags")], plan
        assert any("tags USING COVERING INDEX tags_tag_score (tag=? AND score>?)" in step for step in plan), plan
    assert position_in_browse(tagged, query, "/Samples/zzz") == count_browse(tagged, query)


def test_migrating_a_version_2_catalog_indexes_tags_by_score(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = _old_catalog(path, 2, "/S/FX/old riser.wav")
    conn.execute("INSERT INTO tags(sample_id, source, tag, score) VALUES (1, 'builtin', 'closed hat', 0.8)")
    conn.close()
    catalog = Catalog(path)
    assert catalog.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    indexes = {
        name
        for (name,) in catalog.query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tags' AND sql IS NOT NULL"
        )
    }
    assert indexes == {"tags_tag_score"}  # the index on tag alone, a prefix of the new one, is gone
    assert [r.path for r in list_browse(catalog, Filters(tag_min_score=0.5, words=("hat",)))] == ["/S/FX/old riser.wav"]
    assert [r.path for r in list_browse(catalog, Filters(tag_min_score=0.5, tag="closed hat"))] == [
        "/S/FX/old riser.wav"
    ]
    catalog.close()


@pytest.mark.parametrize("from_end", [False, True])
def test_a_status_listing_reads_its_pages_in_order_from_one_index(catalog, from_end):
    """Narrowed to one status, a page comes in path order from an index, not by sorting every match
    (seconds per page at a million samples), from either end of the listing."""
    backwards = " DESC" if from_end else ""
    plan = " ".join(
        str(step[-1])
        for step in catalog.query(
            f"EXPLAIN QUERY PLAN SELECT id FROM samples WHERE status = ? ORDER BY path{backwards} LIMIT 200", ("ok",)
        )
    )
    assert "samples_status_path" in plan and "TEMP B-TREE" not in plan
    assert [r.path for r in list_browse(catalog, Filters(status="ok"), 0, 2, from_end=from_end)] == (
        sorted(f"/Samples/{n}" for n in NAMES)[-2:] if from_end else sorted(f"/Samples/{n}" for n in NAMES)[:2]
    )


def test_best_tags_are_read_again_once_the_catalog_changes(tmp_path, monkeypatch):
    from soundalike.engine.store import reads
    from soundalike.engine.store.sqlite import SqliteStore

    read, reads_made = reads.best_tags, []
    monkeypatch.setattr(reads, "best_tags", lambda *a: reads_made.append(1) or read(*a))
    store, other = SqliteStore(tmp_path / "c.sqlite"), SqliteStore(tmp_path / "c.sqlite")
    ids = [add(store, "/S", f"s{n}.wav") for n in range(3)]
    with store.transaction() as tx:
        tx.store_tags(ids[0], "clap", {"kick": 0.9})
    assert store.best_tags(0.5) == {ids[0]: "kick"}
    store.best_tags(0.5)[ids[1]] = "mine"  # a copy: the caller may change it
    assert store.best_tags(0.5) == {ids[0]: "kick"} and len(reads_made) == 1  # kept while nothing changed
    with store.transaction() as tx:  # written here
        tx.store_tags(ids[1], "clap", {"snare": 0.8})
    assert store.best_tags(0.5) == {ids[0]: "kick", ids[1]: "snare"}
    with other.transaction() as tx:  # written by another connection (another process, another thread)
        tx.store_tags(ids[2], "clap", {"hat": 0.7})
    assert store.best_tags(0.5) == {ids[0]: "kick", ids[1]: "snare", ids[2]: "hat"}
    assert store.best_tags(0.75) == {ids[0]: "kick", ids[1]: "snare"}
    store.close(), other.close()


@pytest.mark.parametrize("probe_rows", [2, 5, 40])
def test_a_word_search_page_found_near_the_end_is_the_page_the_whole_search_gives(tmp_path, monkeypatch, probe_rows):
    from soundalike.engine.store import reads

    catalog = Catalog(tmp_path / "c.sqlite")
    rng = random.Random(probe_rows)
    ids = [add(catalog, "/S", f"{rng.choice(['Kick', 'snare', 'hat'])}_{n:03d}.wav") for n in range(30)]
    with catalog.transaction() as tx:
        for sid in ids:
            cat.store_tags(tx, sid, "builtin", {rng.choice(["kick", "snare", "closed hat"]): rng.choice([0.3, 0.9])})
    monkeypatch.setattr(reads, "PROBE_ROWS", probe_rows)
    for words in (("kick",), ("KICK", "_0"), ("hat",), ("zzz",), ("snare", "ki")):
        filters = Filters(words=words, tag_min_score=0.5)
        every = [r.id for r in list_browse(catalog, filters, 0, 100_000)]  # too deep to probe: the whole search
        for offset, from_end in ((0, False), (3, False), (0, True), (2, True)):
            page = [r.id for r in list_browse(catalog, filters, offset, 4, from_end=from_end)]
            assert page == (every[::-1][offset : offset + 4][::-1] if from_end else every[offset : offset + 4])


def test_a_short_word_page_tested_row_by_row_is_the_page_the_whole_search_gives(tmp_path):
    from soundalike.engine.store.reads import matching_ids, tested_per_row

    catalog = Catalog(tmp_path / "c.sqlite")
    rng = random.Random(7)
    ids = [add(catalog, "/S", f"{rng.choice(['Kick', 'snare', 'hat', 'ride'])}_{n:03d}.wav") for n in range(40)]
    with catalog.transaction() as tx:
        for sid in ids:
            cat.store_tags(tx, sid, "builtin", {rng.choice(["kick", "snare", "closed hat"]): rng.choice([0.3, 0.9])})
    for words in (("k",), ("ki",), ("KI", "_0"), ("zq",), ("h", "1")):
        filters = Filters(words=words, tag_min_score=0.5)
        assert tested_per_row(filters)
        every = [r.id for r in list_samples(catalog, filters, 0, 100_000)]  # through the name and tag indexes
        assert sorted(every) == sorted(matching_ids(catalog, filters)) and len(every) == count_browse(catalog, filters)
        for offset in (0, 3, 7):
            assert [r.id for r in list_browse(catalog, filters, offset, 5)] == every[offset : offset + 5]
    assert not tested_per_row(Filters(words=("kick",))) and not tested_per_row(Filters(words=("k",), order="bpm"))
    catalog.close()
