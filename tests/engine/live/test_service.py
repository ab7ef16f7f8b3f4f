"""The live engine on real folders with real watchdog events: after every burst of file
operations, wait for quiescence and check the catalog matches the disk exactly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from soundalike.engine.config import WatchSettings
from soundalike.engine.events import Notice, RootState, SampleAdded
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.live.service import BACKGROUND_NICE, EngineService
from soundalike.engine.pipeline.walk import walk
from soundalike.engine.store.filters import Filters
from soundalike.engine.tools.demo import render
from tests.conftest import BandEmbedder, catalog_of, write
from tests.permissions import ReadLocks

REPO = Path(__file__).resolve().parents[3]


class SlowBands(BandEmbedder):
    """The plumbing backend, slowed down so a kill lands in the middle of indexing."""

    def embed(self, batch):
        time.sleep(0.01 * len(batch))
        return super().embed(batch)


def mismatches(service: EngineService) -> list[str]:
    """Differences between the disk under the online roots and the catalog (empty: in step)."""
    library, problems = service.library, []
    online = [r["path"] for r in service.status()["roots"] if r["online"]]
    disk = {e.path: e for root in online for e in walk(root, library.settings.engine.extensions)}
    rows = {
        row[0]: row[1:]
        for row in catalog_of(library).query(
            "SELECT path, id, size, mtime, status FROM samples WHERE status IN ('ok', 'failed')"
        )
    }
    problems += [f"lost: {p}" for p in disk.keys() - rows.keys()]
    problems += [f"ghost: {p}" for p in rows.keys() - disk.keys()]
    problems += [
        f"stale: {p}"
        for p, (_, size, mtime, status) in rows.items()
        if p in disk and status == "ok" and (size, mtime) != (disk[p].size, disk[p].mtime)
    ]
    ok_ids = {sid for sid, _, _, status in rows.values() if status == "ok"}
    if set(library.index("bands").ids().tolist()) != ok_ids:
        problems.append("index ids differ from the catalog's ok samples")
    return problems


def settle(service: EngineService, timeout: float = 20.0) -> None:
    """Wait until the engine is idle and the catalog matches the disk; fail with the differences."""
    deadline = time.monotonic() + timeout
    while True:
        service.wait_idle(timeout=max(0.1, deadline - time.monotonic()))
        problems = mismatches(service)
        if not problems and service.wait_idle(timeout=1):
            return
        assert time.monotonic() < deadline, problems[:10]
        time.sleep(0.05)


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_start_indexes_watches_and_reports_status(serve, drum_folder):
    service = serve([drum_folder])
    seen = []
    service.events.subscribe(seen.append)
    settle(service)
    status = service.status()
    json.dumps(status)
    assert status["busy"] is False and status["queue"] == 0
    assert status["roots"] == [{"path": str(drum_folder), "online": True, "watching": "inotify"}]
    assert status["lock"]["pid"] == os.getpid()
    assert (
        len(service.library.similar(SimilarQuery(drum_folder / "Kit 0" / "kick_0.wav", k=3, collapse=False)).hits) == 3
    )


def test_files_copied_in_chunks_are_indexed_once_complete(serve, drum_folder, tmp_path):
    service = serve([drum_folder])
    settle(service)
    added = []
    service.events.subscribe(lambda e: added.append(e.path) if isinstance(e, SampleAdded) else None)
    source = write(tmp_path / "staging" / "clap.wav", render("clap", 7))
    data, target = source.read_bytes(), drum_folder / "New" / "clap.wav"
    target.parent.mkdir()
    with open(target, "wb") as handle:
        for start in range(0, len(data), len(data) // 5 + 1):
            handle.write(data[start : start + len(data) // 5 + 1])
            handle.flush()
            time.sleep(0.03)
    settle(service)
    row = service.library.browse.sample_by_path(target)
    assert row.status == "ok" and row.size == len(data)
    assert added[-1] == str(target)
    hits = service.library.similar(SimilarQuery(source, k=1, collapse=False)).hits
    assert hits[0].path == str(target) and hits[0].score > 0.999


def test_renames_and_moves_keep_identity_without_decoding(serve, drum_folder, counting_decoder):
    (drum_folder / "Deep" / "er").mkdir(parents=True)
    service = serve([drum_folder])
    settle(service)
    library = service.library
    kick = library.browse.sample_by_path(drum_folder / "Kit 0" / "kick_1.wav")
    library.set_favourite(kick.id)
    counting_decoder.clear()
    os.rename(drum_folder / "Kit 0" / "kick_1.wav", drum_folder / "Kit 0" / "big kick.wav")
    os.rename(drum_folder / "Kit 0", drum_folder / "Acoustic")
    os.rename(drum_folder / "Kit 1", drum_folder / "Deep" / "er" / "Kit 1")
    settle(service)
    row = library.browse.sample_by_path(drum_folder / "Acoustic" / "big kick.wav")
    assert row.id == kick.id and row.favourite
    assert library.browse.sample_by_path(drum_folder / "Deep" / "er" / "Kit 1" / "snare_0.wav").status == "ok"
    assert counting_decoder == []  # renames are followed in the catalog, nothing decoded
    assert library.stats()["by_status"] == {"ok": 24}


def test_a_move_between_roots_keeps_identity_by_content(serve, drum_folder, tmp_path):
    other = tmp_path / "Other"
    other.mkdir()
    service = serve([drum_folder, other])
    settle(service)
    snare = service.library.browse.sample_by_path(drum_folder / "Kit 1" / "snare_2.wav")
    service.library.set_favourite(snare.id)
    shutil.move(drum_folder / "Kit 1" / "snare_2.wav", other / "snare.wav")
    settle(service)
    row = service.library.browse.sample_by_path(other / "snare.wav")
    assert row.id == snare.id and row.favourite and row.root == str(other)


def test_deletes_folders_temporary_names_and_a_file_replaced_by_a_folder(serve, drum_folder, tmp_path):
    service = serve([drum_folder])
    settle(service)
    library = service.library
    (drum_folder / "Kit 0" / "cymbal_0.wav").unlink()
    write(drum_folder / "Pack" / "Sub" / "tom.wav", render("tom", 1))
    write(drum_folder / "Pack" / "Sub" / "tom2.wav", render("tom", 2))
    (drum_folder / "dl.wav.part").write_bytes(write(tmp_path / "dl.wav", render("snare", 5)).read_bytes())
    write(drum_folder / ".hidden.wav", render("snare", 6))
    (drum_folder / "kick_0.wav.asd").write_bytes(b"ableton analysis")
    settle(service)
    assert library.browse.sample_by_path(drum_folder / "Kit 0" / "cymbal_0.wav").status == "missing"
    assert library.browse.sample_by_path(drum_folder / "dl.wav.part") is None
    os.rename(drum_folder / "dl.wav.part", drum_folder / "dl.wav")  # the download finished
    shutil.rmtree(drum_folder / "Pack" / "Sub")
    victim = drum_folder / "Kit 1" / "kick_0.wav"
    victim.unlink()
    write(victim / "inside.wav", render("kick", 40))  # same name, now a folder
    settle(service)
    assert library.browse.sample_by_path(drum_folder / "dl.wav").status == "ok"
    assert library.browse.sample_by_path(drum_folder / "Pack" / "Sub" / "tom.wav").status == "missing"
    assert library.browse.sample_by_path(victim / "inside.wav").status == "ok"
    assert library.browse.sample_by_path(victim).status == "missing"


def test_a_vanished_root_goes_offline_and_comes_back_without_decoding(serve, drum_folder, tmp_path, counting_decoder):
    service = serve([drum_folder])
    settle(service)
    states = []
    service.events.subscribe(lambda e: states.append(e) if isinstance(e, RootState) else None)
    parked = tmp_path / "unplugged"
    counting_decoder.clear()
    drum_folder.rename(parked)
    wait_for(lambda: service.library.stats()["by_status"] == {"offline": 24})
    assert service.status()["roots"][0]["online"] is False
    assert service.library.similar(SimilarQuery(parked / "Kit 0" / "kick_0.wav", k=5, collapse=False)).hits == []
    parked.rename(drum_folder)
    wait_for(lambda: service.status()["roots"][0]["online"])
    settle(service)
    assert service.library.stats()["by_status"] == {"ok": 24}
    assert counting_decoder == []  # revived from stored vectors
    assert [s.online for s in states] == [False, True]


def test_a_large_share_vanishing_at_once_is_marked_offline(serve, drum_folder, tmp_path):
    service = serve([drum_folder])
    settle(service)
    notices = []
    service.events.subscribe(lambda e: notices.append(e) if isinstance(e, Notice) else None)
    shutil.move(drum_folder / "Kit 0", tmp_path / "Kit 0")  # half the root, in one go
    wait_for(lambda: service.library.stats()["by_status"] == {"ok": 12, "offline": 12})
    assert any("vanished at once" in n.message for n in notices)
    (drum_folder / "Kit 1" / "kick_0.wav").unlink()  # one file is just deleted
    shutil.move(tmp_path / "Kit 0", drum_folder / "Kit 0")
    settle(service)
    assert service.library.stats()["by_status"] == {"ok": 23, "missing": 1}


def test_restart_catches_up_with_changes_made_while_down(serve, make_settings, drum_folder, counting_decoder):
    service = serve([drum_folder])
    settle(service)
    service.stop()
    (drum_folder / "Kit 0" / "kick_0.wav").unlink()
    write(drum_folder / "Kit 1" / "snare_1.wav", render("clap", 3))
    write(drum_folder / "Later" / "hat.wav", render("closed hat", 8))
    counting_decoder.clear()
    service = serve([])
    settle(service)
    assert sorted(counting_decoder) == ["hat.wav", "snare_1.wav"]
    assert service.library.stats()["by_status"] == {"ok": 24, "missing": 1}


def test_polling_root_with_a_symlink_loop(serve, drum_folder):
    os.symlink(drum_folder, drum_folder / "Kit 0" / "loop")
    service = serve([drum_folder], polling_roots=(str(drum_folder),))
    settle(service)
    assert service.status()["roots"][0]["watching"] == "polling"
    write(drum_folder / "Kit 0" / "fresh.wav", render("snare", 77))
    (drum_folder / "Kit 1" / "cymbal_2.wav").unlink()
    wait_for(lambda: service.library.browse.sample_by_path(drum_folder / "Kit 0" / "fresh.wav") is not None)
    settle(service)
    assert service.library.stats()["by_status"] == {"ok": 24, "missing": 1}


def test_a_folder_of_many_files_dropped_at_once(serve, drum_folder, tmp_path):
    staging = tmp_path / "Pack"
    source = (drum_folder / "Kit 0" / "kick_0.wav").read_bytes()
    for number in range(400):
        (staging / f"part {number // 100}").mkdir(parents=True, exist_ok=True)
        data = bytearray(source)
        data[-2:] = number.to_bytes(2, "little")  # distinct content, same sound
        (staging / f"part {number // 100}" / f"kick {number}.wav").write_bytes(bytes(data))
    service = serve([drum_folder])
    settle(service)
    shutil.move(staging, drum_folder / "Pack")
    settle(service, timeout=60)
    assert service.library.stats()["by_status"] == {"ok": 424}


def test_permission_changes(serve, drum_folder, monkeypatch):
    service = serve([drum_folder])
    settle(service)
    path = drum_folder / "Kit 0" / "snare_0.wav"
    locks = ReadLocks(monkeypatch)  # simulated when root, who reads whatever the mode says
    locks.take(path)
    wait_for(lambda: service.library.browse.sample_by_path(path).status == "failed")
    assert "permission denied" in service.library.browse.sample_by_path(path).reason
    locks.give_back(path)
    wait_for(lambda: service.library.browse.sample_by_path(path).status == "ok")


def test_queries_from_another_thread_while_files_arrive(serve, drum_folder):
    service = serve([drum_folder])
    settle(service)
    for number in range(20):
        write(drum_folder / "Arrivals" / f"hat_{number}.wav", render("closed hat", 300 + number))
        assert (
            len(service.library.similar(SimilarQuery(drum_folder / "Kit 0" / "kick_0.wav", k=3, collapse=False)).hits)
            == 3
        )
    settle(service)
    assert service.library.stats()["by_status"] == {"ok": 44}


KILLED_SERVE = """
import sys, time
from dataclasses import replace
from tests.conftest import TEST_BACKENDS
from tests.engine.live.test_service import SlowBands
from tests.conftest import FAST_WATCH
from soundalike.engine.config import EngineSettings, Settings
from soundalike.engine.live.service import EngineService
settings = Settings(engine=EngineSettings(data_dir=sys.argv[1], backends=("bands",), default_backend="bands",
                                          workers=2), watch=FAST_WATCH)
EngineService(settings, {**TEST_BACKENDS, "bands": SlowBands}).start([sys.argv[2]])
print("serving", flush=True)
time.sleep(600)
"""


def count_rows(data_dir: Path) -> int:
    try:
        with sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM samples").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("kill_after", [10, 70])
def test_sigkill_in_the_middle_of_indexing_then_restart(serve, make_settings, tmp_path, kill_after):
    root = tmp_path / "Many"
    for number in range(120):
        write(root / f"f{number // 40}" / f"hit_{number}.wav", render(("kick", "snare", "cymbal")[number % 3], number))
    data_dir = make_settings().engine.resolved_data_dir()
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SERVE, str(data_dir), str(root)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: count_rows(data_dir) >= kill_after or child.poll() is not None, timeout=60)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert count_rows(data_dir) < 120  # killed mid-way
    service = serve([])
    settle(service, timeout=60)
    library = service.library
    assert library.stats()["by_status"] == {"ok": 120}
    index = library.index("bands")
    for sid in library.browse.ids_matching(Filters()):
        assert np.allclose(index.reconstruct(sid), catalog_of(library).vector(sid, "bands"))


def test_config_toml_documents_every_watch_setting():
    with open(REPO / "config.toml", "rb") as handle:
        table = tomllib.load(handle)["watch"]
    defaults = WatchSettings()
    assert set(table) == {f.name for f in fields(WatchSettings)}
    for name, value in table.items():
        expected = getattr(defaults, name)
        assert (tuple(value) if isinstance(value, list) else value) == expected, name


def test_a_forgotten_folder_is_no_longer_watched(serve, drum_folder, tmp_path):
    other = tmp_path / "Other"
    shutil.copytree(drum_folder / "Kit 1", other)
    service = serve([drum_folder, other])
    settle(service)
    assert service.forget_folder(str(other)) == 12
    assert [r["path"] for r in service.status()["roots"]] == [str(drum_folder)]
    write(other / "late_kick.wav", render("kick", seed=77))  # lands in the forgotten folder
    write(drum_folder / "Kit 0" / "late_snare.wav", render("snare", seed=78))
    settle(service)
    paths = [row[0] for row in catalog_of(service.library).query("SELECT path FROM samples")]
    assert str(drum_folder / "Kit 0" / "late_snare.wav") in paths
    assert not any(path.startswith(str(other)) for path in paths)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own priority is Linux's")
def test_the_engine_threads_run_nicer_than_the_ones_that_answer_queries(serve, drum_folder):
    """The start-up scan and live indexing must not take the CPU from queries (OSC, the app)."""
    service = serve([drum_folder])
    threads = {t.name: t.native_id for t in threading.enumerate() if t.name in ("engine-index", "engine-settle")}
    assert sorted(threads) == ["engine-index", "engine-settle"]
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for native_id in threads.values():
        assert os.getpriority(os.PRIO_PROCESS, native_id) == min(19, mine + BACKGROUND_NICE)
    settle(service)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
