"""The library's ingest runs on the executors it was given, and ingest itself knows no pool."""

from __future__ import annotations

import ast
import inspect

import soundalike.engine.pipeline.ingest
from soundalike.engine.library.facade import Library
from soundalike.engine.pipeline.executors import Executors
from tests.conftest import TEST_BACKENDS


class CountingExecutors(Executors):
    """The real executors (threads here), counting the files each run is handed."""

    def __init__(self):
        super().__init__()
        self.files: list[int] = []

    def run(self, ingestor, jobs, stop=None):
        self.files.append(len(jobs))
        return super().run(ingestor, jobs, stop)


def test_a_scan_runs_on_the_executors_the_library_was_given(make_settings, drum_folder):
    executors = CountingExecutors()
    with Library(make_settings(), backends=TEST_BACKENDS, executors=executors) as library:
        report = library.scan([str(drum_folder)])
        assert report.indexed == 24 and executors.files == [24]
        (drum_folder / "Kit 0" / "kick_0.wav").unlink()
        assert library.scan().indexed == 0 and sum(executors.files) == 24  # nothing more to decode


def test_ingest_imports_no_pool():
    source = inspect.getsource(soundalike.engine.pipeline.ingest)
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)}
    assert not {
        name
        for name in imported
        if name and name.rsplit(".", 1)[-1] in ("executors", "workers", "live_pool", "ingest_pool")
    }
    assert "concurrent" not in {name.split(".")[0] for name in imported if name}
