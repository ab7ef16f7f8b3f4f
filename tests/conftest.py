"""Shared fixtures: generated audio files, a plumbing embedder, settings on a temp library."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import soundfile as sf

from soundalike.engine.config import EngineSettings, Settings, WatchSettings
from soundalike.engine.embedders.base import BackendInfo, Embedder, unit_rows
from soundalike.engine.embedders.registry import BACKENDS
from soundalike.engine.tools.demo import render


class BandEmbedder(Embedder):
    """Deterministic plumbing backend: log energy in 16 frequency bands of the first second."""

    name: ClassVar[str] = "bands"
    sample_rate: ClassVar[int] = 16000
    info: ClassVar[BackendInfo] = BackendInfo(good_for="tests", licence="MIT")
    window_seconds = 1.0

    def __init__(self, options=None):
        self.dim = 16
        self.calls = 0

    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        self.calls += len(batch)
        rows = []
        for clip in batch:
            spectrum = np.abs(np.fft.rfft(clip[: self.sample_rate], n=self.sample_rate)) ** 2
            bands = np.array_split(spectrum, self.dim)
            rows.append(np.log10(np.array([b.sum() for b in bands]) + 1e-6) + 7)
        return unit_rows(np.array(rows))


TEST_BACKENDS = {**BACKENDS, BandEmbedder.name: BandEmbedder}


def write(path: Path, audio: np.ndarray, rate: int = 44100, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, audio, rate, **kwargs)
    return path


@pytest.fixture
def make_settings(tmp_path):
    def _make(backends=("bands",), default="bands", **engine) -> Settings:
        data = tmp_path / "library-data"
        return Settings(
            engine=EngineSettings(
                data_dir=str(data), backends=tuple(backends), default_backend=default, workers=2, **engine
            )
        )

    return _make


@pytest.fixture(scope="session")
def rendered_drums(tmp_path_factory) -> Path:
    """The drum folder's sounds, rendered once per session (per xdist worker)."""
    root = tmp_path_factory.mktemp("rendered") / "Samples"
    for kit in range(2):
        for number, instrument in enumerate(("kick", "snare", "closed hat", "cymbal")):
            for take in range(3):
                name = f"{instrument.replace(' ', '_')}_{take}.wav"
                write(root / f"Kit {kit}" / name, render(instrument, seed=kit * 100 + number * 10 + take))
    return root


@pytest.fixture
def drum_folder(tmp_path, rendered_drums) -> Path:
    """Two kits of generated one-shots: kick, snare, closed hat, cymbal, three takes each; a copy
    of its own for each test (tests add, change and delete files in it)."""
    root = tmp_path / "Samples"
    shutil.copytree(rendered_drums, root)
    return root


#: Watch settings fast enough for tests of the live engine.
FAST_WATCH = WatchSettings(
    debounce_seconds=0.1, poll_seconds=0.2, root_check_seconds=0.2, offline_min_files=5, index_save_seconds=0.0
)


def live_settings(make_settings, **watch):
    return dataclasses.replace(make_settings(), watch=dataclasses.replace(FAST_WATCH, **watch))


@pytest.fixture
def serve(make_settings):
    """Start live engines on roots (stopped at teardown): ``serve([root], **watch_settings)``."""
    from soundalike.engine.live.service import EngineService

    services = []

    def _serve(roots, backends=TEST_BACKENDS, **watch):
        service = EngineService(live_settings(make_settings, **watch), backends=backends)
        services.append(service)
        service.start([str(r) for r in roots])
        return service

    yield _serve
    for service in services:
        service.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for this test process (tests/engine/store/postgres_server.py),
    stopped and its cluster removed at the end; skipped only when $SOUNDALIKE_NO_POSTGRES=1."""
    from tests.engine.store.postgres_server import MISSING, NO_POSTGRES, PostgresServer, binaries

    if os.environ.get(NO_POSTGRES) == "1":
        pytest.skip(f"{NO_POSTGRES}=1: the PostgreSQL store is not tested")
    bin_dir = binaries()
    if bin_dir is None:
        pytest.fail(MISSING, pytrace=False)
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def counting_decoder(monkeypatch):
    """The base names of the files ingest decodes, in order (what a test expects to cost no decode)."""
    import soundalike.engine.pipeline.ingest

    calls = []
    real = soundalike.engine.pipeline.ingest.decode_file

    def decode(path, *args, **kwargs):
        calls.append(os.path.basename(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(soundalike.engine.pipeline.ingest, "decode_file", decode)
    return calls


def catalog_of(library):
    """Tests only: the catalog behind a library, for tests that damage, fill or inspect it directly.

    The engine keeps the catalog private (everything else goes through the library's API); a
    test that must write a row by hand or read a stored vector back reaches it here, in one place.
    """
    return library._catalog


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Captured output and logs as text a pytest-xdist worker can send: a file name that is not
    UTF-8 (``bad_\\xff.wav``, logged by the hostile tests) shows as ``\\udcff`` instead of ending the run."""
    outcome = yield
    report = outcome.get_result()
    report.sections = [
        (title, text.encode("utf-8", "backslashreplace").decode("utf-8")) for title, text in report.sections
    ]
