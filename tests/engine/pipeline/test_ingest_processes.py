"""Indexing in forked worker processes records exactly what worker threads record.

Real generated files (good, silent, broken, long), the real built-in backend and musical
analysis, a real library on disk, real forked workers. A spy proves the chunks ran in other
processes; a worker that dies mid-run leaves nothing unindexed; a stop request ends the run
and leaves no worker behind.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import multiprocessing
import os
import threading
from pathlib import Path

import numpy as np
import pytest

import soundalike.engine.pipeline.executors
import soundalike.engine.pipeline.workers
from soundalike.engine.library.facade import Library
from soundalike.engine.library.writer import LibraryWriter
from soundalike.engine.tools.demo import render
from tests.conftest import TEST_BACKENDS, catalog_of, write

#: Where the spy writes the process ids that ran chunks (set by the test before the fork).
SPY_FOLDER = "SOUNDALIKE_TEST_SPY_FOLDER"


def _spy_chunk(chunk):
    """Stands in for workers.process_chunk (pickled by name, so it lives at module level)."""
    folder = Path(os.environ[SPY_FOLDER])
    if any("crash" in job.entry.path for job in chunk) and not (folder / "crashed").exists():
        (folder / "crashed").write_text("once")
        os._exit(3)  # a decoder crash takes the worker process down with it
    (folder / f"pid-{os.getpid()}").touch()
    return soundalike.engine.pipeline.workers.process_chunk(chunk)


def _folder(root: Path) -> Path:
    rng = np.random.default_rng(7)
    names = ("kick", "snare", "closed hat", "open hat", "cymbal", "tom", "clap")
    for number in range(21):
        sound = render(names[number % len(names)], seed=number)
        stereo = np.stack([sound, 0.8 * sound], axis=1) if number % 3 == 0 else sound
        write(root / f"kit{number % 2}" / f"{number:02d}.wav", stereo, 48000 if number % 4 == 0 else 44100)
    write(root / "long_loop.flac", rng.normal(0, 0.2, 44100 * 5).astype(np.float32), 44100)
    write(root / "silent.wav", np.zeros(4410, dtype=np.float32))
    (root / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt nonsense")
    write(root / "crash_me.wav", render("kick", seed=99))
    return root


def _index(settings, folder: Path, stop: threading.Event | None = None) -> dict:
    """What the library recorded for every file: status, reason, facts, hash, vector, tags, musical."""
    with Library(settings, backends=TEST_BACKENDS) as library:
        library.scan([str(folder)], stop=stop)
        catalog = catalog_of(library)
        rows = catalog.query(
            "SELECT id, path, status, reason, content_hash, format, sample_rate, channels, duration, peak_db, "
            "rms_db, clipped FROM samples ORDER BY path"
        )
        index = library.index("builtin")
        recorded = {}
        for sid, path, *facts in rows:
            vector = index.reconstruct(sid) if facts[0] == "ok" else None
            tags = catalog.query("SELECT source, tag, score FROM tags WHERE sample_id = ? ORDER BY 1, 2", (sid,))
            musical = catalog.query("SELECT * FROM musical WHERE sample_id = ?", (sid,))
            recorded[Path(path).name] = (tuple(facts), vector, tags, [m[1:] for m in musical])
        return recorded


@pytest.fixture
def spy(tmp_path, monkeypatch):
    folder = tmp_path / "spy"
    folder.mkdir()
    monkeypatch.setenv(SPY_FOLDER, str(folder))
    monkeypatch.setattr(soundalike.engine.pipeline.executors, "PROCESS_MIN_FILES", 1)
    monkeypatch.setattr(
        soundalike.engine.pipeline.executors, "only_thread", lambda: True
    )  # earlier tests may leave threads
    monkeypatch.setattr(soundalike.engine.pipeline.executors, "process_chunk", _spy_chunk)
    monkeypatch.setattr(soundalike.engine.pipeline.executors, "CHUNK_FILES", 4)  # several chunks per worker
    return folder


def _settings(make_settings, tmp_path, name: str, processes: bool):
    settings = make_settings(backends=("builtin",), default="builtin", worker_processes=processes)
    return dataclasses.replace(settings, engine=dataclasses.replace(settings.engine, data_dir=str(tmp_path / name)))


def test_worker_processes_record_exactly_what_threads_record(make_settings, tmp_path, spy, caplog):
    folder = _folder(tmp_path / "Samples")
    (spy / "crashed").write_text("no crash in this test")
    by_threads = _index(_settings(make_settings, tmp_path, "threads", False), folder)
    assert not list(spy.glob("pid-*"))  # threads never call the process entry point
    by_processes = _index(_settings(make_settings, tmp_path, "processes", True), folder)
    pids = {int(p.name[4:]) for p in spy.glob("pid-*")}
    assert pids and os.getpid() not in pids  # the chunks really ran in other processes
    assert by_processes.keys() == by_threads.keys() and len(by_threads) == 25
    for name, (facts, vector, tags, musical) in by_threads.items():
        p_facts, p_vector, p_tags, p_musical = by_processes[name]
        assert p_facts == facts and p_tags == tags and p_musical == musical, name
        assert (vector is None and p_vector is None) or np.array_equal(vector, p_vector), name
    assert by_threads["broken.wav"][0][0] == "failed" and "not decodable" in by_threads["broken.wav"][0][1]
    assert by_threads["silent.wav"][0][:2] == ("failed", "silent (peak -200 dBFS)")
    assert sum(facts[0] == "ok" for facts, *_ in by_threads.values()) == 23


def test_a_worker_process_that_dies_costs_no_file(make_settings, tmp_path, spy, caplog):
    folder = _folder(tmp_path / "Samples")
    with caplog.at_level(logging.WARNING, logger="soundalike.engine.pipeline.executors"):
        recorded = _index(_settings(make_settings, tmp_path, "crash", True), folder)
    assert (spy / "crashed").exists()  # a worker did die
    assert "worker processes failed" in caplog.text
    assert recorded["crash_me.wav"][0][0] == "ok" and recorded["crash_me.wav"][1] is not None
    assert sum(facts[0] == "ok" for facts, *_ in recorded.values()) == 23
    assert not multiprocessing.active_children()


def test_stopping_a_run_on_worker_processes_leaves_no_worker(make_settings, tmp_path, spy, monkeypatch):
    folder = _folder(tmp_path / "Samples")
    (spy / "crashed").write_text("no crash in this test")
    stop = threading.Event()
    real_apply = LibraryWriter._apply

    def apply_then_stop(self, chunk, report):
        real_apply(self, chunk, report)
        stop.set()  # as Ctrl-C in the TUI or `serve` shutting down does

    monkeypatch.setattr(LibraryWriter, "_apply", apply_then_stop)
    with Library(_settings(make_settings, tmp_path, "stop", True), backends=TEST_BACKENDS) as library:
        report = library.scan([str(folder)], stop=stop)
        assert report.interrupted and 0 < report.indexed + len(report.failed) < 25
        assert list(spy.glob("pid-*"))
    assert not multiprocessing.active_children()


def test_processes_only_where_forking_is_safe_and_pays(make_settings, tmp_path):
    from soundalike.engine.pipeline.ingest import Ingestor
    from tests.conftest import BandEmbedder

    settings = _settings(make_settings, tmp_path, "rules", True).engine
    builtin = Library(_settings(make_settings, tmp_path, "rules", True), backends=TEST_BACKENDS)
    with builtin as library:
        ingestor = Ingestor({"builtin": library.embedder("builtin")}, settings)
        decide = soundalike.engine.pipeline.executors.wants_processes
        assert decide(ingestor, 2, 64) == soundalike.engine.pipeline.executors.only_thread()
        assert not decide(ingestor, 2, 63) and not decide(ingestor, 1, 1000) and not decide(ingestor, 2, None)
        assert not decide(
            Ingestor({"builtin": library.embedder("builtin")}, dataclasses.replace(settings, worker_processes=False)),
            2,
            1000,
        )
        assert not decide(Ingestor({"bands": BandEmbedder()}, settings), 2, 1000)  # not marked process-safe
        answers = []
        other = threading.Thread(target=lambda: answers.append(decide(ingestor, 2, 1000)))
        other.start()
        other.join()
        assert answers == [False]  # not from another thread (serve, the TUI)
        gate = threading.Event()
        helper = threading.Thread(target=gate.wait)
        helper.start()
        try:
            assert not decide(ingestor, 2, 1000)  # not while another thread runs
        finally:
            gate.set()
            helper.join()


class _NoFork(concurrent.futures.ProcessPoolExecutor):
    def submit(self, *args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")  # fork() refused (EAGAIN)


def test_worker_processes_that_cannot_start_leave_the_work_to_threads(
    make_settings, tmp_path, spy, monkeypatch, caplog
):
    folder = _folder(tmp_path / "Samples")
    monkeypatch.setattr(soundalike.engine.pipeline.executors, "ProcessPoolExecutor", _NoFork)
    with caplog.at_level(logging.WARNING, logger="soundalike.engine.pipeline.executors"):
        recorded = _index(_settings(make_settings, tmp_path, "nofork", True), folder)
    assert "worker processes failed" in caplog.text and "Resource temporarily unavailable" in caplog.text
    assert sum(facts[0] == "ok" for facts, *_ in recorded.values()) == 23
    assert not list(spy.glob("pid-*"))
