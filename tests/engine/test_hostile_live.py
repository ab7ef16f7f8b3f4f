"""The live engine (``serve``) under hostile conditions, on real folders with real
watchdog events: odd names, duplicate copies deleted mid-drop, failing rounds, a full disk, a
deleted library folder, overwrites that keep size and mtime, and a new file behind a backlog."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time

import numpy as np

from soundalike.engine.events import Notice
from soundalike.engine.library.writer import LibraryWriter
from soundalike.engine.tools.demo import render
from tests.conftest import TEST_BACKENDS, catalog_of, write
from tests.engine.live.test_service import SlowBands, settle, wait_for

BAD = os.fsdecode(b"pack_\xff.wav")


def kick(path, seed: int = 1):
    plain = write(path.parent / f".tmp-{seed}.wav", render("kick", seed=seed))  # dotfiles are ignored
    os.rename(plain, path)
    return path


def notices(service) -> list[Notice]:
    seen: list[Notice] = []
    service.events.subscribe(lambda event: seen.append(event) if isinstance(event, Notice) else None)
    return seen


def test_a_pack_holding_a_name_that_is_not_utf8_is_indexed_whole(serve, tmp_path):
    root = tmp_path / "Samples"
    kick(root / "first.wav", 1)
    service = serve([root])
    settle(service)
    pack = tmp_path / "outside" / "pack"
    for number in range(6):
        kick(pack / f"k{number}.wav", 10 + number)
    kick(pack / BAD, 20)
    os.rename(pack, root / "pack")
    settle(service, timeout=10)
    row = service.library.browse.sample_by_path(root / "pack" / BAD)
    assert row is not None and row.status == "ok"


def test_deleting_duplicate_copies_during_a_drop_loses_nothing(serve, tmp_path):
    root = tmp_path / "Samples"
    original = kick(root / "copy_a.wav", 1)
    for name in ("copy_b.wav", "copy_c.wav"):
        shutil.copy(original, root / name)
    service = serve([root])
    settle(service)
    seen = notices(service)
    incoming = tmp_path / "incoming"
    news = [kick(incoming / f"new_{n}.wav", 100 + n) for n in range(20)]
    for path in news:
        shutil.copy(path, root / path.name)
    time.sleep(0.07)
    os.remove(root / "copy_b.wav")
    os.remove(root / "copy_c.wav")
    settle(service, timeout=10)
    assert [n for n in seen if n.level == "error"] == [] and service.indexer.fatal is None
    assert service.library.browse.sample_by_path(original).status == "ok"
    assert sum(1 for p in news if service.library.browse.sample_by_path(root / p.name) is not None) == 20


def test_a_failed_round_is_retried_not_forgotten(serve, drum_folder, monkeypatch):
    real, calls = LibraryWriter._apply, []

    def flaky(self, chunk, report):
        calls.append(len(chunk))
        if len(calls) == 1:
            raise RuntimeError("a passing fault")
        return real(self, chunk, report)

    monkeypatch.setattr(LibraryWriter, "_apply", flaky)
    service = serve([drum_folder])
    settle(service, timeout=10)
    assert len(calls) > 1 and service.indexer.fatal is None


def test_a_full_disk_pauses_indexing_once_and_it_resumes_by_itself(serve, drum_folder, monkeypatch):
    real, calls = LibraryWriter._apply, []

    def full_then_fine(self, chunk, report):
        calls.append(len(chunk))
        if len(calls) <= 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, chunk, report)

    monkeypatch.setattr(LibraryWriter, "_apply", full_then_fine)
    service = serve([drum_folder])
    seen = notices(service)
    settle(service, timeout=15)
    full = [n for n in seen if "is full" in n.message]
    assert len(full) == 1 and full[0].level == "warning" and str(service.library.data_dir) in full[0].message
    assert any("resumed" in n.message for n in seen) and service.indexer.fatal is None


def test_an_overwrite_keeping_size_and_mtime_is_indexed_again_live(serve, tmp_path):
    root = tmp_path / "Samples"
    target = kick(root / "k.wav", 1)
    other = write(tmp_path / "hat.wav", np.resize(render("closed hat", seed=5), len(render("kick", seed=1))))
    service = serve([root])
    settle(service)
    stamp = target.stat()
    with open(target, "r+b") as handle:  # `cp -p`: same inode, new bytes, then the old mtime back
        handle.write(other.read_bytes())
    os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    real = service.library.embed_file(target, "bands")

    def stored_is_real() -> bool:
        vector = catalog_of(service.library).vector(service.library.browse.sample_by_path(target).id, "bands")
        return float(vector @ real) > 0.999

    wait_for(stored_is_real, timeout=10)


def test_deleting_the_library_folder_stops_serve_with_a_clear_message(serve, drum_folder):
    service = serve([drum_folder])
    settle(service)
    shutil.rmtree(service.library.data_dir)
    wait_for(lambda: service.indexer.fatal is not None, timeout=10)
    assert "deleted" in service.indexer.fatal and str(service.library.data_dir) in service.indexer.fatal
    assert not service.library.data_dir.exists()  # nothing was written into a new one


def test_a_new_file_jumps_ahead_of_a_dropped_folders_backlog(serve, tmp_path):
    root = tmp_path / "Samples"
    kick(root / "first.wav", 1)
    backends = {**TEST_BACKENDS, "bands": SlowBands}
    service = serve([root], backends=backends, batch_files=16)
    settle(service)
    pack = tmp_path / "outside" / "pack"
    audio = render("snare", seed=3)
    for number in range(400):
        write(pack / f"s{number:03d}.wav", audio * (0.5 + number / 1000))
    os.rename(pack, root / "pack")
    wait_for(lambda: service.queue.pending_jobs() > 100, timeout=10)
    kick(root / "landed.wav", 7)
    wait_for(lambda: service.library.browse.sample_by_path(root / "landed.wav") is not None, timeout=20)
    assert service.queue.pending_jobs() > 100  # it did not wait for the backlog
    settle(service, timeout=30)


def test_a_root_going_offline_is_announced_once(serve, drum_folder, tmp_path, caplog):
    service = serve([drum_folder])
    settle(service)
    seen = []
    service.events.subscribe(lambda e: seen.append(e) if isinstance(e, Notice) else None)
    caplog.set_level(logging.WARNING)
    os.rename(drum_folder, tmp_path / "unplugged")
    wait_for(lambda: any("offline" in n.message for n in seen), timeout=10)
    assert len([n for n in seen if "offline" in n.message]) == 1
    printed = [r for r in caplog.records if r.name.startswith("engine") and r.levelno >= logging.WARNING]
    assert printed == []  # the notice is printed by serve (and shown by the TUI): a warning would repeat it


def test_a_file_held_open_by_a_pausing_writer_is_indexed_once_complete(serve, drum_folder, tmp_path, counting_decoder):
    service = serve([drum_folder])
    settle(service)
    counting_decoder.clear()
    data = write(tmp_path / "staging" / "clap.wav", render("clap", seed=7)).read_bytes()
    target = drum_folder / "clap.wav"
    with open(target, "wb") as handle:  # a slow download: half, a pause well past the debounce, the rest
        handle.write(data[: len(data) // 2])
        handle.flush()
        time.sleep(1.0)
        handle.write(data[len(data) // 2 :])
    settle(service)
    assert counting_decoder.count("clap.wav") == 1
    assert service.library.browse.sample_by_path(target).size == len(data)


def test_serve_on_a_damaged_catalog_stops_and_points_to_repair(serve, make_settings, drum_folder):
    from tests.engine.test_hostile_library import _break_one_samples_page, _filled_catalog

    settings = make_settings()
    _filled_catalog(settings)
    _break_one_samples_page(settings.engine.resolved_data_dir() / "catalog.sqlite")
    from soundalike.engine.errors import UserError

    try:  # found at start (a damaged page read while adding the root) or by the indexer's check
        service = serve([drum_folder])
        wait_for(lambda: service.indexer.fatal is not None, timeout=10)
        message = service.indexer.fatal
    except UserError as e:
        message = str(e)
    assert "damaged" in message and "soundalike repair" in message
