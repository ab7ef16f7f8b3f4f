"""The library and the CLI under hostile conditions (odd names, overwrites that keep
size and mtime, full disks, damaged catalogs and indexes, files that are not files)."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from soundalike.engine.library.facade import Library
from soundalike.engine.store.text import from_db, readable, to_db, utf8_or_readable
from soundalike.engine.tools.demo import render
from tests.cli.test_cli import no_user_config, run  # noqa: F401 - no_user_config is an autouse fixture
from tests.conftest import TEST_BACKENDS, catalog_of, write

REPO = Path(__file__).resolve().parents[2]
BAD = os.fsdecode(b"bad_\xff\xfe.wav")  # not valid UTF-8: Python holds it surrogate-escaped


def kick(path: Path, seed: int = 1) -> Path:
    """A kick at ``path`` (written under a plain name first: soundfile cannot open odd names)."""
    plain = write(path.parent / f"tmp-{seed}.wav", render("kick", seed=seed))
    os.rename(plain, path)
    return path


# --- 1: names that are not UTF-8 ------------------------------------------------------------
def test_escape_round_trips_every_name_and_keeps_ordinary_text():
    names = ["plain.wav", "café.wav", BAD, "x\uffffy", "\uffff\udcff", os.fsdecode(b"/a/\x80/b\xc3")]
    for name in names:
        assert from_db(to_db(name).encode("utf-8")) == name
    assert to_db("café/kick.wav") == "café/kick.wav"
    folder, child = os.fsdecode(b"/s/\xff"), os.fsdecode(b"/s/\xff/k.wav")
    assert to_db(child).startswith(to_db(folder) + "/")
    assert readable(BAD) == "bad_\\xff\\xfe.wav" and readable("a\nb.wav") == "a\\nb.wav"
    assert utf8_or_readable(BAD) == "bad_\\xff\\xfe.wav" and utf8_or_readable("a\nb.wav") == "a\nb.wav"


def test_index_stores_a_name_that_is_not_utf8_and_goes_on(tmp_path, capsys, make_settings):
    root = tmp_path / "x"
    kick(root / "a_first.wav", 1)
    kick(root / BAD, 2)
    kick(root / "z_last.wav", 3)
    data = str(tmp_path / "lib")
    code, out, err = run(capsys, "--data-dir", data, "index", str(root))
    assert code == 0, err
    assert "3 audio files seen: 3 indexed" in out
    code, out, err = run(capsys, "--data-dir", data, "similar", str(root / "a_first.wav"), "-k", "3")
    assert code == 0, err
    assert "bad_\\xff\\xfe.wav" in out and "z_last.wav" in out
    with Library(make_settings().with_data_dir(data), backends=TEST_BACKENDS) as library:
        row = library.browse.sample_by_path(root / BAD)
        assert row is not None and row.path == str(root / BAD) and row.status == "ok"
        assert os.path.exists(row.path)  # the stored name opens the very same file
    code, out, _ = run(capsys, "--data-dir", data, "index")
    assert code == 0 and "0 indexed, 3 unchanged" in out


# --- 3: an overwrite keeping size and mtime -------------------------------------------------
def test_overwrite_with_same_size_and_mtime_is_seen_by_the_next_scan(tmp_path, make_settings):
    root = tmp_path / "s"
    target = kick(root / "k.wav", 1)
    length = len(render("kick", seed=1))
    hat = write(tmp_path / "hat.wav", np.resize(render("closed hat", seed=5), length))
    assert hat.stat().st_size == target.stat().st_size
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.scan([str(root)])
        before = catalog_of(library).vector(library.browse.sample_by_path(target).id, "bands")
        stamp = target.stat()
        target.write_bytes(hat.read_bytes())  # what `cp -p` does: same inode, new bytes, old mtime
        os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        assert (target.stat().st_size, target.stat().st_mtime) == (stamp.st_size, stamp.st_mtime)
        report = library.scan([str(root)])
        assert report.indexed == 1
        after = catalog_of(library).vector(library.browse.sample_by_path(target).id, "bands")
        real = library.embed_file(target, "bands")
        assert float(after @ real) > 0.999 and float(before @ real) < 0.99
        assert library.scan([str(root)]).indexed == 0  # and looked at once only


def test_a_rename_does_not_decode_again_even_though_its_ctime_changed(tmp_path, make_settings):
    root = tmp_path / "s"
    kick(root / "k.wav", 1)
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.scan([str(root)])
        os.rename(root / "k.wav", root / "k2.wav")
        os.rename(root / "k2.wav", root / "k.wav")  # same file, same name, new ctime
        report = library.scan([str(root)])
        assert report.indexed == 0 and report.unchanged == 1


# --- 4: a full disk -------------------------------------------------------------------------
def test_index_on_a_full_disk_says_so_in_one_line_and_reads_still_work(tmp_path, capsys, drum_folder, monkeypatch):
    data = tmp_path / "lib"
    assert run(capsys, "--data-dir", str(data), "index", str(drum_folder / "Kit 0"))[0] == 0
    import soundalike.engine.store.lock
    import soundalike.engine.store.writes

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    def no_space(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(soundalike.engine.store.writes, "record_sample", full)
    code, out, err = run(capsys, "--data-dir", str(data), "index", str(drum_folder))
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"soundalike: the disk holding {data} is full: free some space and run "
        f"the command again (nothing already indexed is lost)"
    ]
    monkeypatch.setattr(soundalike.engine.store.lock.os, "pwrite", no_space)  # the lock's owner line cannot be written
    code, out, err = run(capsys, "--data-dir", str(data), "stats")
    assert code == 0 and "12 ok" in out, err
    code, out, err = run(capsys, "--data-dir", str(data), "similar", str(drum_folder / "Kit 0" / "kick_0.wav"))
    assert code == 0 and "kick_1.wav" in out, err


# --- 5: the lock survives its file being deleted ---------------------------------------------
def test_deleting_the_lock_file_does_not_let_a_second_writer_in(tmp_path):
    from soundalike.engine.store.lock import LibraryLock, LibraryLocked

    first = LibraryLock(tmp_path)
    first.acquire("soundalike serve")
    try:
        os.remove(tmp_path / "soundalike.engine.store.lock")
        with pytest.raises(LibraryLocked):
            LibraryLock(tmp_path).acquire("soundalike serve")
        assert LibraryLock(tmp_path).current_owner() is not None
    finally:
        first.release()
    second = LibraryLock(tmp_path)
    second.acquire()  # free again once the first lets go
    second.release()


# --- 6: a damaged catalog ---------------------------------------------------------------------
def _filled_catalog(settings, count: int = 300) -> list[int]:
    """``count`` samples with vectors and tags straight into the catalog; every 10th a favourite."""
    import soundalike.engine.store.writes as cat

    with Library(settings, backends=TEST_BACKENDS) as library:
        root = "/S"
        catalog_of(library).add_root(root)
        rng = np.random.default_rng(0)
        with catalog_of(library).transaction() as tx:
            for number in range(count):
                sid = cat.record_sample(
                    tx,
                    path=f"{root}/pack/sample_{number:04d}.wav",
                    root=root,
                    size=1000 + number,
                    mtime=1.0,
                    content_hash=f"h{number}",
                    status="ok",
                    reason=None,
                    facts=None,
                )
                vector = rng.normal(size=16).astype(np.float32)
                cat.store_vector(tx, sid, "bands", vector / np.linalg.norm(vector))
                cat.store_tags(tx, sid, "bands", {"kick": 0.9})
            cat.bump_vectors_version(tx, "bands")
        for sid in range(1, count + 1, 10):
            catalog_of(library).set_favourite(sid, True)
        assert len(library.index("bands")) == count
    return list(range(1, count + 1))


def _break_one_samples_page(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [
        r[0]
        for r in conn.execute("SELECT pageno FROM dbstat WHERE name = 'samples' AND pagetype = 'leaf' ORDER BY pageno")
    ]
    conn.close()
    assert len(pages) > 3
    with open(path, "r+b") as handle:  # a leaf in the middle: its page type byte becomes nonsense
        handle.seek((pages[len(pages) // 2] - 1) * page_size)
        handle.write(b"\x00" * 8)


def test_a_damaged_catalog_gives_one_line_and_repair_salvages_the_rest(tmp_path, capsys, make_settings):
    settings = make_settings()
    _filled_catalog(settings)
    data = settings.engine.resolved_data_dir()
    catalog = data / "catalog.sqlite"
    _break_one_samples_page(catalog)
    code, out, err = run(capsys, "--data-dir", str(data), "index")
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "damaged" in err and "soundalike repair" in err
    code, out, err = run(capsys, "--data-dir", str(data), "repair")
    assert code == 0, err
    assert "salvaged" in out and list(data.glob("catalog.sqlite.damaged-*"))
    with Library(settings, backends=TEST_BACKENDS) as library:
        counts = library.stats()["by_status"]
        assert 200 < counts["ok"] < 300  # one page of rows lost, the rest kept
        assert catalog_of(library).query("PRAGMA quick_check")[0][0] == "ok"
        favourites = catalog_of(library).query("SELECT count(*) FROM samples WHERE favourite = 1")[0][0]
        assert 20 <= favourites < 30
        assert len(library.index("bands")) == counts["ok"]  # rebuilt from the salvaged vectors
    code, out, _ = run(capsys, "--data-dir", str(data), "repair")
    assert code == 0 and "sound: nothing to repair" in out


def test_a_zeroed_catalog_beside_indexes_is_not_taken_for_a_new_library(tmp_path, capsys, make_settings):
    settings = make_settings()
    _filled_catalog(settings, 20)
    data = settings.engine.resolved_data_dir()
    (data / "catalog.sqlite").write_bytes(b"")
    code, out, err = run(capsys, "--data-dir", str(data), "stats")
    assert code == 2 and "catalog" in err and "empty" in err and "soundalike repair" in err
    code, out, err = run(capsys, "--data-dir", str(data), "repair")
    assert code == 0 and "salvaged 0 samples" in out
    assert run(capsys, "--data-dir", str(data), "stats")[0] == 0


# --- 7: a damaged index; a library path that is a file -----------------------------------------
def test_flipped_bytes_in_the_saved_index_are_caught_and_it_is_rebuilt(tmp_path, make_settings):
    settings = make_settings()
    _filled_catalog(settings, 100)
    saved = settings.engine.resolved_data_dir() / "index" / "bands.faiss"
    data = bytearray(saved.read_bytes())
    rng = np.random.default_rng(1)
    for offset in rng.integers(len(data) - 1000, len(data) - 900, 50):  # inside the vectors
        data[offset] ^= 0xFF
    saved.write_bytes(bytes(data))
    with Library(settings, backends=TEST_BACKENDS) as library:
        index = library.index("bands")
        ids, matrix = library.browse.stored_vectors("bands")
        for sid, vector in zip(ids, matrix):
            assert np.array_equal(index.reconstruct(int(sid)), vector)


def test_a_library_path_blocked_by_a_file_names_that_file(tmp_path, capsys, drum_folder):
    data = tmp_path / "lib"
    data.mkdir()
    (data / "index").write_text("not a folder")
    code, _, err = run(capsys, "--data-dir", str(data), "index", str(drum_folder))
    assert code == 2 and f"{data / 'index'} is a file" in err


def test_escaped_reading_costs_nothing_until_a_catalog_holds_an_odd_name(tmp_path):
    import soundalike.engine.store.writes as cat
    from soundalike.engine.store.catalog import Catalog

    path, odd = tmp_path / "c.sqlite", os.fsdecode(b"/S/\xff.wav")
    first, second = Catalog(path), Catalog(path)
    with first.transaction() as tx:
        cat.record_sample(
            tx,
            path="/S/plain.wav",
            root="/S",
            size=1,
            mtime=1.0,
            content_hash=None,
            status="ok",
            reason=None,
            facts=None,
        )
    assert first._connection().text_factory is str  # the fast, plain read
    with first.transaction() as tx:
        cat.record_sample(
            tx, path=odd, root="/S", size=1, mtime=1.0, content_hash=None, status="ok", reason=None, facts=None
        )
    assert first.sample_by_path(odd).path == odd
    third = Catalog(path)  # another process opening it later
    assert third.sample_by_path(odd).path == odd and [r.path for r in third.samples([1, 2]).values()] == [
        "/S/plain.wav",
        odd,
    ]
    assert second.sample_by_path(odd) is not None  # opened before: still finds it by name


def test_one_file_that_cannot_be_recorded_costs_only_itself(tmp_path, make_settings, drum_folder, monkeypatch):
    import soundalike.engine.store.writes as cat

    real = cat.record_sample

    def refuse_one(tx, **values):
        if values["path"].endswith("snare_1.wav"):
            raise sqlite3.IntegrityError("a row this catalog will not take")
        return real(tx, **values)

    monkeypatch.setattr(cat, "record_sample", refuse_one)
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        report = library.scan([str(drum_folder)])
        assert report.indexed == 22 and len(report.failed) == 2
        assert all("cannot record it in the catalog" in reason for _, reason in report.failed)
        assert library.stats()["by_status"] == {"ok": 22}


@pytest.mark.parametrize("seed", [13, 14, 15])
def test_two_hundred_flipped_bytes_never_give_a_traceback_and_repair_recovers(tmp_path, capsys, make_settings, seed):
    settings = make_settings()
    _filled_catalog(settings)
    data = settings.engine.resolved_data_dir()
    catalog = data / "catalog.sqlite"
    conn = sqlite3.connect(catalog)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = bytearray(catalog.read_bytes())
    rng = np.random.default_rng(seed)
    for offset in rng.integers(4096, len(raw), 200):  # inside its pages, past the header page
        raw[offset] ^= 0xFF
    catalog.write_bytes(bytes(raw))
    for argv in (["stats"], ["stats", "--failures"], ["similar", "/S/pack/sample_0001.wav"], ["index"]):
        code, out, err = run(capsys, "--data-dir", str(data), *argv)
        assert "Traceback" not in err and (code == 0 or (code in (1, 2) and len(err.strip().splitlines()) == 1)), (
            argv,
            err,
        )
    code, out, err = run(capsys, "--data-dir", str(data), "repair")
    assert code == 0, err
    code, out, _ = run(capsys, "--data-dir", str(data), "repair")
    assert code == 0 and "sound: nothing to repair" in out
    code, out, err = run(capsys, "--data-dir", str(data), "stats")
    assert code == 0 and "samples:" in out, err


def test_a_query_does_not_create_a_library_where_there_is_none(tmp_path, capsys):
    data = tmp_path / "deleted-under-serve"
    for argv in (["stats"], ["duplicates"]):
        code, _, err = run(capsys, "--data-dir", str(data), *argv)
        assert code == 2 and "there is no library at" in err
    assert not (data / "catalog.sqlite").exists() and not (data / "soundalike.engine.store.lock").exists()


def test_repair_keeps_collections_and_user_tags(make_settings):
    """Collections and the user's own tags are the user's words: a salvage copies them too."""
    from soundalike.engine.store import salvage as catalog_salvage
    from soundalike.engine.store.user_lists import add_to_collection, add_user_tag, collections, user_tags

    settings = make_settings()
    _filled_catalog(settings, count=20)
    with Library(settings, backends=TEST_BACKENDS) as library:
        add_to_collection(catalog_of(library), "dusty", [1, 2, 3])
        add_user_tag(catalog_of(library), [4, 5], "crunchy")
    catalog_salvage.salvage(settings.engine.resolved_data_dir() / "catalog.sqlite")
    with Library(settings, backends=TEST_BACKENDS) as library:
        assert collections(catalog_of(library)) == [("dusty", 3)]
        assert user_tags(catalog_of(library)) == [("crunchy", 2)]
