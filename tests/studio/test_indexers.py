"""Several indexers over one shared catalog: each file decoded once, by whichever claims it first;
readers neither scan nor watch the share."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from soundalike.engine.config import settings_from_table
from soundalike.engine.errors import UserError
from soundalike.engine.library.facade import Library
from soundalike.engine.live.service import EngineService
from soundalike.engine.store.postgres.store import PostgresStore
from tests.conftest import FAST_WATCH, TEST_BACKENDS, write
from tests.studio.conftest import count_decodes


def one_shots(root: Path, count: int) -> list[Path]:
    """``count`` short, distinct noise bursts in a few folders."""
    rng = np.random.default_rng(7)
    paths = []
    for i in range(count):
        audio = rng.standard_normal(2205).astype(np.float32) * np.linspace(0.8, 0.0, 2205, dtype=np.float32)
        paths.append(write(root / f"pack {i % 4}" / f"hit {i:03d}.wav", audio))
    return paths


@pytest.fixture
def decodes(monkeypatch):
    """Every path decoded in this process, each decode held long enough for two indexers to overlap."""
    return count_decodes(monkeypatch, delay=0.005)


@pytest.fixture
def indexer_settings(machine_settings):
    def _make(name: str, index: bool = True, claim_seconds: float = 5.0):
        settings = machine_settings(name)
        store = dataclasses.replace(settings.store, index=index, claim_seconds=claim_seconds)
        return dataclasses.replace(settings, watch=FAST_WATCH, store=store)

    return _make


def recorded(library: Library) -> list[str]:
    return sorted(row.path for row in library.browse.rows(limit=100_000))


def test_two_live_engines_on_one_share_decode_each_file_once(indexer_settings, tmp_path, decodes):
    files = one_shots(tmp_path / "share", 96)
    engines = [EngineService(indexer_settings(name), backends=TEST_BACKENDS) for name in ("a", "b")]
    try:
        starts = [threading.Thread(target=e.start, args=([str(tmp_path / "share")],)) for e in engines]
        for thread in starts:
            thread.start()
        for thread in starts:
            thread.join()
        deadline = time.monotonic() + 60
        while not all(e.wait_idle(timeout=1) for e in engines) or len(recorded(engines[0].library)) < len(files):
            assert time.monotonic() < deadline, "the two engines did not finish"
        expected = sorted(str(p) for p in files)
        assert recorded(engines[0].library) == expected == recorded(engines[1].library)
        assert sorted(decodes) == expected, "each file decoded exactly once, across both engines"
        assert engines[0].library.stats()["by_status"] == {"ok": len(files)}
    finally:
        for engine in engines:
            engine.stop()


def test_two_index_runs_at_once_decode_each_file_once(indexer_settings, studio_url, tmp_path, decodes):
    files = one_shots(tmp_path / "share", 96)
    libraries = [Library(indexer_settings(name), backends=TEST_BACKENDS) for name in ("a", "b")]
    reports: dict[str, object] = {}
    try:
        runs = [
            threading.Thread(target=lambda n=n, lib=lib: reports.update({n: lib.scan([str(tmp_path / "share")])}))
            for n, lib in zip("ab", libraries, strict=True)
        ]
        for run in runs:
            run.start()
        for run in runs:
            run.join(timeout=60)
        assert sorted(reports) == ["a", "b"], "both runs finished"
        expected = sorted(str(p) for p in files)
        assert recorded(libraries[1]) == expected
        assert sorted(decodes) == expected
        assert reports["a"].indexed + reports["b"].indexed == len(files)  # type: ignore[attr-defined]
        assert not reports["a"].elsewhere and not reports["b"].elsewhere  # type: ignore[attr-defined]
        catalog = PostgresStore(studio_url)
        assert catalog.claims() == [], "every claim released once its file was recorded"
        catalog.close()
    finally:
        for library in libraries:
            library.close()


def test_a_reader_neither_scans_nor_watches_the_share(indexer_settings, tmp_path, decodes):
    one_shots(tmp_path / "share", 4)
    reader = EngineService(indexer_settings("r", index=False), backends=TEST_BACKENDS)
    try:
        reader.start([str(tmp_path / "share")])
        assert reader.wait_idle(timeout=5)
        time.sleep(0.5)  # a root check would have come by now
        assert decodes == []
        assert reader.status()["roots"] == []
        assert recorded(reader.library) == []
    finally:
        reader.stop()
    assert os.path.isdir(tmp_path / "share")


def test_a_live_engine_takes_over_files_whose_claims_expire(indexer_settings, studio_url, tmp_path, decodes):
    files = sorted(str(p) for p in one_shots(tmp_path / "share", 12))
    dead = PostgresStore(studio_url, dataclasses.replace(indexer_settings("dead").store))
    dead.add_root(str(tmp_path / "share"))  # the share as its machine registered it
    assert dead.claim(files[:5], 4.0) == files[:5]  # an indexer killed while it decoded these
    engine = EngineService(indexer_settings("b"), backends=TEST_BACKENDS)
    try:
        engine.start([str(tmp_path / "share")])
        deadline = time.monotonic() + 30
        while engine.status()["elsewhere"] < 5:
            assert time.monotonic() < deadline, "the claimed files were not set aside"
            time.sleep(0.02)
        assert [claim.machine for claim in dead.claims()] == ["dead"] * 5, "(still held)"
        assert sorted(decodes) == files[5:], "the claimed files are left alone while their claims last"
        assert engine.wait_idle(timeout=30)
        assert recorded(engine.library) == files
        assert sorted(decodes) == files, "then decoded here, once each"
    finally:
        engine.stop()
        dead.close()


def test_claim_seconds_must_be_above_zero():
    with pytest.raises(UserError, match="claim_seconds must be above 0"):
        settings_from_table({"store": {"claim_seconds": 0.0}})
