"""An existing library (indexed before musical facts existed) is analysed in the background by the
live engine, decoding each sample once and embedding nothing again."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import soundalike.engine.pipeline.ingest
from soundalike.engine.library.facade import Library
from soundalike.engine.live.service import EngineService
from soundalike.engine.store.musical import ids_to_analyse
from tests.conftest import FAST_WATCH, TEST_BACKENDS, catalog_of, write
from tests.engine.musical import audio as gen


def test_serve_fills_in_musical_facts_of_an_existing_library(make_settings, tmp_path, monkeypatch):
    root = tmp_path / "Music"
    gen.music_folder(root, write)
    settings = replace(make_settings(), watch=FAST_WATCH)
    with Library(replace(settings, engine=replace(settings.engine, musical=False)), backends=TEST_BACKENDS) as old:
        old.scan([root])  # as an older soundalike left it: samples and vectors, no musical facts
        assert len(ids_to_analyse(catalog_of(old))) == 10
    decoded, embedded = [], []
    real_decode = soundalike.engine.pipeline.ingest.decode_file
    monkeypatch.setattr(
        soundalike.engine.pipeline.ingest,
        "decode_file",
        lambda path, *a, **k: decoded.append(os.path.basename(path)) or real_decode(path, *a, **k),
    )
    service = EngineService(settings, backends=TEST_BACKENDS)
    embed = service.library.embedder("bands").embed
    monkeypatch.setattr(
        service.library.embedder("bands"), "embed", lambda batch: embedded.append(len(batch)) or embed(batch)
    )
    service.start([])
    try:
        deadline = time.monotonic() + 30
        while ids_to_analyse(catalog_of(service.library)):
            assert time.monotonic() < deadline, "musical facts never filled in"
            time.sleep(0.05)
        facts = service.library.browse.musical(
            [service.library.browse.sample_by_path(root / "Loops" / "groove_0.wav").id]
        )
        assert list(facts.values())[0].key_name == "Am"
        assert sorted(decoded) == sorted(p.name for p in root.rglob("*.wav")) and not embedded
    finally:
        service.stop()
