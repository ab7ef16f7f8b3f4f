"""Issue 13: the library and the CLI under hostile conditions (odd names, overwrites that keep
size and mtime, full disks, damaged catalogs and indexes, files that are not files)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.catalog_text import from_db, readable, to_db
from engine.demo import render
from engine.library import Library
from soundalike.cli import main
from tests.conftest import TEST_BACKENDS, write

REPO = Path(__file__).resolve().parent.parent
BAD = os.fsdecode(b"bad_\xff\xfe.wav")  # not valid UTF-8: Python holds it surrogate-escaped


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-user-config.toml"))
    monkeypatch.delenv("SOUNDALIKE_DATA_DIR", raising=False)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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
        row = library.sample_by_path(root / BAD)
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
        before = library.catalog.vector(library.sample_by_path(target).id, "bands")
        stamp = target.stat()
        target.write_bytes(hat.read_bytes())  # what `cp -p` does: same inode, new bytes, old mtime
        os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
        assert (target.stat().st_size, target.stat().st_mtime) == (stamp.st_size, stamp.st_mtime)
        report = library.scan([str(root)])
        assert report.indexed == 1
        after = library.catalog.vector(library.sample_by_path(target).id, "bands")
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
