"""The PostgreSQL store's named roots (one catalog, a path per machine) and its trigram word search."""

from __future__ import annotations

import pytest

from soundalike.engine.config import StoreSettings
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres.paths import PathMap
from soundalike.engine.store.postgres.store import PostgresStore
from soundalike.engine.store.postgres.where import where
from tests.engine.store.contract.helpers import add


@pytest.fixture
def url(postgres_server, tmp_path) -> str:
    return postgres_server.catalog_for(tmp_path)


def _machine(url: str, name: str, **roots: str) -> PostgresStore:
    return PostgresStore(url, StoreSettings(machine=name, roots=tuple(f"{k}={v}" for k, v in roots.items())))


def test_a_path_map_keeps_paths_by_named_root_and_gives_local_ones_back():
    paths = PathMap({"samples": "/mnt/samples/", "drums": "/mnt/samples/drums"})
    assert paths.stored("/mnt/samples/Kit/kick.wav") == "samples:/Kit/kick.wav"
    assert paths.stored("/mnt/samples/drums/kick.wav") == "drums:/kick.wav"  # the deepest root
    assert paths.stored("/mnt/samples") == "samples:"
    assert paths.stored("/mnt/samplesX/a.wav") == "/mnt/samplesX/a.wav"  # under no named root
    assert paths.local("samples:/Kit/kick.wav") == "/mnt/samples/Kit/kick.wav"
    assert paths.local("samples:") == "/mnt/samples"
    assert paths.local("loops:/a.wav") is None  # not mapped here
    assert paths.local("/elsewhere/a.wav") == "/elsewhere/a.wav"
    assert paths.layer("/mnt/samples/Kit\0kick", to_stored=True) == "samples:/Kit\0kick"


def test_each_machine_reads_its_own_path_of_a_named_root(url):
    a = _machine(url, "a", samples="/Volumes/Samples")
    b = _machine(url, "b", samples="/mnt/samples")
    try:
        a.add_root("/Volumes/Samples")
        sid = add(a, "/Volumes/Samples/Kit/kick.wav", root="/Volumes/Samples")
        with a.transaction() as tx:
            tx.put_sound(sid, None, "/Volumes/Samples/Kit\0kick")
        assert b.roots() == ["/mnt/samples"]
        assert b.sample(sid).path == "/mnt/samples/Kit/kick.wav"
        assert b.sample(sid).root == "/mnt/samples"
        assert b.sample_by_path("/mnt/samples/Kit/kick.wav").id == sid
        assert set(b.known_files("/mnt/samples")) == {"/mnt/samples/Kit/kick.wav"}
        assert [r.path for r in b.list_browse(Filters(under="/mnt/samples/Kit"))] == ["/mnt/samples/Kit/kick.wav"]
        assert b.folders() == ["/mnt/samples/Kit"]
        assert b.with_layer_names(["/mnt/samples/Kit\0kick"], 5) == {"/mnt/samples/Kit\0kick": [sid]}
        assert b.sound_facts([sid])[sid].layer_name == "/mnt/samples/Kit\0kick"
    finally:
        a.close()
        b.close()


def test_a_folder_under_no_named_root_is_registered_and_left_out_where_it_is_not_mapped(url, caplog):
    a, b = _machine(url, "a"), _machine(url, "b")
    try:
        a.add_root("/home/ann/Loops")
        assert 'shared root "Loops"' in caplog.text  # the user is told to map it elsewhere
        sid = add(a, "/home/ann/Loops/pad.wav", root="/home/ann/Loops")
        assert a.sample(sid).path == "/home/ann/Loops/pad.wav"
        assert _machine(url, "a").roots() == ["/home/ann/Loops"]  # remembered in the catalog
        assert b.sample(sid) is None and b.list_browse(Filters()) == [] and b.roots() == []
        assert b.unmapped_roots() == {"Loops": 1}
        assert list(b.vector_ids("fake")) == [] and a.unmapped_roots() == {}
        c = _machine(url, "c", Loops="/net/loops")
        assert c.sample(sid).path == "/net/loops/pad.wav"
        c.add_root("/other/Loops")  # a second folder of that name on another machine: a name of its own
        assert "Loops-2" in c.paths.named
        c.close()
    finally:
        a.close()
        b.close()


def test_word_search_uses_the_trigram_index(url):
    store = PostgresStore(url)
    try:
        for i in range(50):
            add(store, f"/S/pack {i}/kick {i}.wav")
        where_sql, params = where(Filters(words=("kick",)), store.paths, store.user)
        conn = store._connection()
        conn.execute("SET enable_seqscan = off")  # a table this small would be scanned otherwise
        plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN SELECT id FROM samples{where_sql}", params))
        assert "samples_words" in plan and "tags_words" in plan
    finally:
        store.close()


def test_rows_kept_by_absolute_path_are_taken_in_when_their_folder_becomes_a_named_root(url):
    before = PostgresStore(url)  # a catalog indexed before any root was named
    sid = add(before, "/Volumes/Samples/Kit/kick.wav", root="/Volumes/Samples")
    with before.transaction() as tx:
        tx.put_sound(sid, None, "/Volumes/Samples/Kit\0kick")
    before.close()
    a = _machine(url, "a", samples="/Volumes/Samples")
    b = _machine(url, "b", samples="/mnt/samples")
    try:
        assert a.sample_by_path("/Volumes/Samples/Kit/kick.wav").id == sid  # not a new file
        assert b.sample(sid).path == "/mnt/samples/Kit/kick.wav"
        assert b.sound_facts([sid])[sid].layer_name == "/mnt/samples/Kit\0kick"
    finally:
        a.close()
        b.close()


def test_machines_that_mount_the_share_alike_share_its_root_with_no_roots_setting(url):
    a, b, c = _machine(url, "a"), _machine(url, "b"), _machine(url, "c")
    try:
        a.add_root("/mnt/samples")
        b.add_root("/mnt/samples")  # the same mount point: the same named root, not "samples-2"
        c.add_root("/srv/samples")  # another folder of that name: a root of its own
        with a.transaction() as tx:
            sid = tx.record_sample(
                path="/mnt/samples/kick.wav",
                root="/mnt/samples",
                size=1,
                mtime=1.0,
                content_hash="h",
                status="ok",
                reason=None,
                facts=None,
            )
        assert b.sample(sid) is not None and b.sample(sid).path == "/mnt/samples/kick.wav"
        assert b.roots() == ["/mnt/samples"]
        assert c.sample(sid) is None, "c's samples folder is another root"
    finally:
        for store in (a, b, c):
            store.close()
