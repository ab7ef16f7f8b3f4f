"""Two machines, one catalog, the share at a different path on each: every answer in local paths."""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest

from soundalike.bridge import Bridge
from soundalike.bridge.osc.client import OscClient
from soundalike.cli import main
from soundalike.engine.config import BridgeSettings
from soundalike.engine.kits.export import export_kit
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import KitQuery, SimilarQuery
from soundalike.engine.live.service import EngineService
from soundalike.engine.store.filters import Filters
from tests.conftest import FAST_WATCH, TEST_BACKENDS


@pytest.fixture
def share(drum_folder, tmp_path):
    """The share as machine A mounts it (a/Samples) and as machine B does (b/Samples, a symlink to it)."""
    a = tmp_path / "a" / "Samples"
    a.parent.mkdir()
    shutil.move(drum_folder, a)
    b = tmp_path / "b" / "Samples"
    b.parent.mkdir()
    os.symlink(a, b, target_is_directory=True)
    return a, b


@pytest.fixture
def studio(machine_settings, share):
    """Machine A indexes its share mapped as "samples"; B maps "samples" to its own path."""
    a_folder, b_folder = share
    with Library(machine_settings("a", {"samples": str(a_folder)}), backends=TEST_BACKENDS) as a:
        a.scan([str(a_folder)])
    b = Library(machine_settings("b", {"samples": str(b_folder)}), backends=TEST_BACKENDS)
    yield b, str(b_folder)
    b.close()


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder + os.sep)


def test_a_reader_lists_and_answers_in_its_own_paths(studio):
    b, folder = studio
    rows = b.browse.rows()
    assert len(rows) == 24 and all(_under(row.path, folder) for row in rows)
    assert b.browse.roots() == [folder]
    kick = os.path.join(folder, "Kit 0", "kick_0.wav")
    by_id = b.similar(SimilarQuery(to=b.browse.sample_by_path(kick).id, k=5))
    by_path = b.similar(SimilarQuery(to=kick, k=5))
    for folded in (by_id, by_path):
        assert folded.hits and all(_under(hit.path, folder) for hit in folded.hits)
    assert "kick" in os.path.basename(by_id.hits[0].path)
    assert [r.path for r in b.browse.page(Filters(words=("snare",)))] == [
        os.path.join(folder, f"Kit {kit}", f"snare_{take}.wav") for kit in range(2) for take in range(3)
    ]


def test_a_kit_exported_on_the_reader_names_its_files(machine_settings, share, tmp_path):
    a_folder, folder = (str(path) for path in share)
    builtin = {"backends": ("builtin",), "default": "builtin"}  # the backend that tags slots
    with Library(machine_settings("a", {"samples": a_folder}, **builtin)) as a:
        a.scan([a_folder])
    with Library(machine_settings("b", {"samples": folder}, **builtin)) as b:
        kit = b.kit(KitQuery(seed=os.path.join(folder, "Kit 1", "kick_1.wav")))
    assert kit.picks() and all(_under(hit.path, folder) for _, hit in kit.picks())
    listing = export_kit(kit, tmp_path / "kit-out", "folder")
    sources = [line.split("\t")[3] for line in listing.read_text().splitlines() if not line.startswith("#")]
    assert sources and all(_under(source, folder) for source in sources)


def test_osc_similar_on_the_reader_replies_with_its_paths(studio, tmp_path):
    b, folder = studio
    settings = BridgeSettings(osc_port=0, midi_enabled=False)
    bridge = Bridge(b, None, settings, state_file=tmp_path / "bridge-clients.json").start()
    try:
        with OscClient(*bridge.address, timeout=5.0) as client:
            response = client.similar(os.path.join(folder, "Kit 0", "snare_0.wav"), 4)
        assert response.error is None and response.paths
        assert all(_under(path, folder) for path in response.paths)
    finally:
        bridge.stop()


def test_a_machine_that_does_not_map_the_root_leaves_its_samples_out_and_says_so(
    machine_settings, share, capsys, monkeypatch
):
    a_folder, _ = share
    with Library(machine_settings("a", {"samples": str(a_folder)}), backends=TEST_BACKENDS) as a:
        a.scan([str(a_folder)])
    c = machine_settings("c")
    with Library(c, backends=TEST_BACKENDS) as library:
        assert library.browse.rows() == [] and library.browse.unmapped_roots() == {"samples": 24}
    monkeypatch.setenv("SOUNDALIKE_STORE_URL", c.store.url)
    monkeypatch.setenv("SOUNDALIKE_DATA_DIR", c.engine.data_dir)
    assert main(["stats"]) == 0
    assert "24 samples are under roots not mapped on this machine and left out: samples (24)" in capsys.readouterr().err
    assert main(["doctor"]) == 1
    assert 'root samples: not mapped on this machine, its 24 samples are left out; add "samples=LOCAL PATH"' in (
        capsys.readouterr().out
    )


def test_mapping_a_root_later_brings_its_samples_into_this_machines_index(machine_settings, share):
    a_folder, b_folder = (str(path) for path in share)
    with Library(machine_settings("a", {"samples": a_folder}), backends=TEST_BACKENDS) as a:
        a.scan([a_folder])
    with Library(machine_settings("b"), backends=TEST_BACKENDS) as unmapped:
        assert unmapped.browse.rows() == []
    with Library(machine_settings("b", {"samples": b_folder}), backends=TEST_BACKENDS) as mapped:
        kick = os.path.join(b_folder, "Kit 0", "kick_0.wav")
        hits = mapped.similar(SimilarQuery(to=mapped.browse.sample_by_path(kick).id, k=3)).hits
        assert len(hits) == 3 and all(_under(hit.path, b_folder) for hit in hits)


def test_a_machine_without_the_share_mounted_leaves_it_as_it_is_for_the_others(machine_settings, share, tmp_path):
    a_folder, _ = (str(path) for path in share)
    with Library(machine_settings("a", {"samples": a_folder}), backends=TEST_BACKENDS) as a:
        a.scan([a_folder])
    away = str(tmp_path / "not-mounted" / "Samples")
    with Library(machine_settings("b", {"samples": away}), backends=TEST_BACKENDS) as b:
        report = b.scan()  # every root of the catalog, as `soundalike index` does
        assert report.offline_roots == [away]
    with Library(machine_settings("a", {"samples": a_folder}), backends=TEST_BACKENDS) as a:
        assert a.browse.status_counts() == {"ok": 24}


def test_serve_on_the_reader_answers_osc_in_its_own_paths(machine_settings, share, tmp_path):
    a_folder, b_folder = (str(path) for path in share)
    with Library(machine_settings("a", {"samples": a_folder}), backends=TEST_BACKENDS) as a:
        a.scan([a_folder])
    settings = dataclasses.replace(machine_settings("b", {"samples": b_folder}), watch=FAST_WATCH)
    with EngineService(settings, backends=TEST_BACKENDS) as service:
        service.start()  # the catalog's roots, at this machine's paths
        assert service.wait_idle(30)
        bridge = Bridge(service, None, BridgeSettings(osc_port=0, midi_enabled=False), state_file=tmp_path / "c.json")
        bridge.start()
        try:
            with OscClient(*bridge.address, timeout=5.0) as client:
                response = client.similar(os.path.join(b_folder, "Kit 1", "kick_2.wav"), 3)
            assert response.error is None and len(response.paths) == 3
            assert all(_under(path, b_folder) for path in response.paths)
        finally:
            bridge.stop()
        assert service.library.browse.status_counts() == {"ok": 24}  # nothing decoded again or lost
