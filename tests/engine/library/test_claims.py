"""Claiming before decoding: a claimed file is planned again, since another indexer sharing the
catalog may have recorded it since it was first planned."""

from __future__ import annotations

import shutil

from soundalike.engine.library.facade import Library
from soundalike.engine.library.planner import plan_path, still_to_do
from soundalike.engine.store.sqlite import SqliteStore
from tests.conftest import TEST_BACKENDS


def test_files_recorded_since_they_were_planned_are_no_longer_to_do(make_settings, drum_folder):
    settings = make_settings()
    root, extensions = str(drum_folder), settings.engine.extensions
    library = Library(settings, backends=TEST_BACKENDS)
    catalog = SqliteStore(settings.engine.resolved_data_dir() / "catalog.sqlite")
    try:
        library.add_root(root)
        planned = plan_path(catalog, root, root, extensions, ("bands",), False).jobs
        assert len(planned) == 24
        library.scan([root])  # another indexer, as far as these jobs know
        shutil.copy(drum_folder / "Kit 0" / "kick_0.wav", drum_folder / "Kit 0" / "new kick.wav")
        new = plan_path(catalog, str(drum_folder / "Kit 0" / "new kick.wav"), root, extensions, ("bands",), True).jobs
        assert still_to_do(catalog, [*planned, *new], ("bands",), musical=False) == new
        assert still_to_do(catalog, planned, ("bands", "other"), musical=False) == planned, "a backend they lack"
    finally:
        catalog.close()
        library.close()
