"""Word search in the library view: the trigram name index agrees with a plain substring scan."""
from __future__ import annotations

import sqlite3

import pytest

from engine import catalog_writes as cat
from engine.browse import BrowseQuery, count_browse, list_browse
from engine.catalog import Catalog
from engine.catalog_schema import MIGRATIONS, SCHEMA_VERSION

NAMES = ["Kicks/808 Kick Long.wav", "Kicks/kick_02.wav", "Snares/Snare \"Fat\".wav", "Loops/Drüm Loop 120.wav",
         "FX/riser.wav", "Hats/hh_01.wav"]


def add(catalog: Catalog, root: str, name: str) -> int:
    with catalog.transaction() as tx:
        return cat.record_sample(tx, path=f"{root}/{name}", root=root, size=1, mtime=1.0, content_hash=None,
                                 status="ok", reason=None, facts=None)


def names(catalog: Catalog, *words: str) -> list[str]:
    rows = list_browse(catalog, BrowseQuery(words=words))
    assert count_browse(catalog, BrowseQuery(words=words)) == len(rows)
    return [row.path.split("/", 2)[-1] for row in rows]


@pytest.fixture
def catalog(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    for name in NAMES:
        add(catalog, "/Samples", name)
    yield catalog
    catalog.close()


@pytest.mark.parametrize("words,expected", [
    (("kick",), ["Kicks/808 Kick Long.wav", "Kicks/kick_02.wav"]),
    (("KICK", "long"), ["Kicks/808 Kick Long.wav"]),
    (("drüm",), ["Loops/Drüm Loop 120.wav"]),
    (('"fat"',), ['Snares/Snare "Fat".wav']),
    (("hh",), ["Hats/hh_01.wav"]),  # shorter than a trigram: scanned instead
    (("samples",), []),  # the root is not part of the name
    (("*",), []),
])
def test_word_search(catalog, words, expected):
    assert names(catalog, *words) == expected


def test_index_follows_moves_and_deletes(catalog):
    with catalog.transaction() as tx:
        tx.execute("UPDATE samples SET path = '/Samples/FX/whoosh.wav' WHERE path = '/Samples/FX/riser.wav'")
        tx.execute("DELETE FROM samples WHERE path = '/Samples/Kicks/kick_02.wav'")
    assert names(catalog, "riser") == [] and names(catalog, "whoosh") == ["FX/whoosh.wav"]
    assert names(catalog, "kick") == ["Kicks/808 Kick Long.wav"]


def test_migrating_a_version_1_catalog_indexes_existing_names(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    conn.execute("INSERT INTO samples(path, root, size, mtime, status, added, updated) "
                 "VALUES ('/S/Kicks/old kick.wav', '/S', 1, 1, 'ok', 0, 0)")
    conn.close()
    catalog = Catalog(path)
    assert catalog.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION == 2
    assert [r.path for r in list_browse(catalog, BrowseQuery(words=("old kick",)))] == ["/S/Kicks/old kick.wav"]
    catalog.close()
