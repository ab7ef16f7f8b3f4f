"""Copies and layers are known at index time: folding reads stored facts, the query's own copies
and layers are not results, numbered layers fold by sound, and "other folders only" filters."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil

import numpy as np
import pytest

import soundalike.engine.pipeline.audio
from soundalike.bridge import Bridge
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import OscClient
from soundalike.cli import main
from soundalike.engine.config import BridgeSettings
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.tools.demo import render
from soundalike.engine.tools.duplicates import find_duplicates
from tests.conftest import TEST_BACKENDS, catalog_of, write


def harder(velocity: float, seed: int) -> np.ndarray:
    """One snare hit played at ``velocity``: louder and brighter (driven harder), the same take."""
    base = render("snare", seed=seed)
    drive = 1 + 8 * velocity
    return (np.tanh(base * drive) / np.tanh(drive) * (0.3 + 0.6 * velocity)).astype(np.float32)


@pytest.fixture
def kits(tmp_path):
    root = tmp_path / "Samples"
    for number, instrument in enumerate(("kick", "snare", "closed hat")):
        write(root / "Kit A" / f"{instrument.replace(' ', '_')}.wav", render(instrument, seed=number))
    shutil.copytree(root / "Kit A", root / "Kit A copy")  # the same bytes
    write(root / "Kit A flac" / "snare.flac", render("snare", seed=1) * 0.5, format="FLAC")  # quieter, other format
    for seed, velocity in enumerate(("Soft", "Med", "Hard")):
        write(root / "Kit B" / f"Snare-{velocity}.wav", render("snare", seed=50 + seed) * (0.4 + 0.3 * seed))
    for number, velocity in enumerate((0.1, 0.3, 0.5, 0.7)):  # numbered layers of one hit
        write(root / "Kit N" / f"Snare-{number}.wav", harder(velocity, seed=5))
    write(root / "Kit N" / "Snare-7.wav", harder(0.7, seed=7))  # another snare, numbered alike
    for number, seed in enumerate((80, 81), 1):
        write(root / "Kit N" / f"Tom {number}.wav", render("tom", seed=seed))  # two different toms
    write(root / "Kit C" / "snare_query.wav", render("snare", seed=70))
    return root


@pytest.fixture
def library(make_settings, kits):
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.scan([str(kits)])
        yield library


def family_of(library, path) -> int:
    row = library.browse.sample_by_path(path)
    return library.browse.sound_labels([row.id])[row.id][1]


def test_folding_reads_no_audio(library, kits, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("audio decoded while folding results")

    monkeypatch.setattr(soundalike.engine.pipeline.audio, "_decode_stream", refuse)
    query = str(kits / "Kit A" / "snare.wav")
    by_path = library.similar(SimilarQuery(query, k=20))
    by_id = library.similar(SimilarQuery(library.browse.sample_by_path(query).id, k=20))
    assert [g.lead.path for g in by_path] == [g.lead.path for g in by_id]
    assert any(g.layers for g in by_path)  # Kit B's layers folded, from stored facts
    assert any("Kit B" in g.lead.path for g in by_path)


def test_the_querys_own_copies_are_not_results(library, kits):
    query = str(kits / "Kit A" / "snare.wav")
    folded = library.similar(SimilarQuery(query, k=20))
    shown = {hit.path for g in folded for hit in (g.lead, *g.members)}
    copies = {str(kits / "Kit A copy" / "snare.wav"), str(kits / "Kit A flac" / "snare.flac")}
    assert {row.path for row in folded.own.copies} == copies and not folded.own.layers
    assert not shown & copies
    assert folded.own.describe().startswith("2 copies of this sound: ")
    flat = library.similar(SimilarQuery(query, k=20, collapse=False))  # folding off: every file is listed
    assert copies <= {g.lead.path for g in flat} and not flat.own


def test_the_querys_own_layers_are_not_results(library, kits):
    folded = library.similar(SimilarQuery(str(kits / "Kit B" / "Snare-Med.wav"), k=20))
    assert sorted(os.path.basename(row.path) for row in folded.own.layers) == ["Snare-Hard.wav", "Snare-Soft.wav"]
    assert not any("Kit B" in hit.path and "Snare" in hit.path for g in folded for hit in (g.lead, *g.members))
    assert folded.own.describe() == "2 layers of this sound: Snare-Hard.wav, Snare-Soft.wav"


def test_numbered_layers_fold_by_sound_and_other_drums_stay_apart(library, kits):
    layers = {family_of(library, kits / "Kit N" / f"Snare-{n}.wav") for n in range(4)}
    assert len(layers) == 1
    assert family_of(library, kits / "Kit N" / "Snare-7.wav") not in layers
    assert family_of(library, kits / "Kit N" / "Tom 1.wav") != family_of(library, kits / "Kit N" / "Tom 2.wav")
    folded = library.similar(SimilarQuery(str(kits / "Kit N" / "Snare-2.wav"), k=20))
    assert len(folded.own.layers) == 3


def test_groups_follow_files_as_they_come_and_go(library, kits):
    snare, flac = kits / "Kit A" / "snare.wav", kits / "Kit A flac" / "snare.flac"
    assert family_of(library, snare) == family_of(library, flac)
    flac.unlink()
    library.scan([str(kits)])
    assert len(library.similar(SimilarQuery(str(snare), k=20)).own.copies) == 1  # only the byte copy is left
    write(kits / "New" / "snare 48k.flac", render("snare", seed=1) * 0.7, format="FLAC")
    library.scan([str(kits)])
    assert family_of(library, kits / "New" / "snare 48k.flac") == family_of(library, snare)
    groups = [sorted(os.path.relpath(row.path, kits) for row in group) for group in find_duplicates(library)]
    assert ["Kit A copy/snare.wav", "Kit A/snare.wav", "New/snare 48k.flac"] in groups


def test_a_library_indexed_before_gets_its_facts_without_embedding_again(library, kits):
    with catalog_of(library).transaction() as tx:
        tx.execute("DELETE FROM sounds")
    embedder = library.embedder("bands")
    before = embedder.calls
    library.scan([str(kits)])
    assert embedder.calls == before  # decoded for the facts only
    assert family_of(library, kits / "Kit A" / "snare.wav") == family_of(library, kits / "Kit A flac" / "snare.flac")


def test_cli_other_folders_and_not_under(kits, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))
    data = str(tmp_path / "cli-lib")
    assert main(["--data-dir", data, "index", str(kits)]) == 0
    capsys.readouterr()
    query = str(kits / "Kit N" / "Snare-2.wav")
    assert main(["--data-dir", data, "similar", query, "-k", "20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("(3 layers of this sound: ")  # said once, first
    for flag in (["--other-folders"], ["--not-under", str(kits / "Kit N")]):
        assert main(["--data-dir", data, "similar", query, "-k", "20", "--json", "--no-collapse", *flag]) == 0
        paths = [hit["path"] for hit in json.loads(capsys.readouterr().out)]
        assert paths and not any(path.startswith(str(kits / "Kit N")) for path in paths), flag
    assert main(["--data-dir", data, "similar", query, "--other-packs", "--not-under", str(kits)]) == 2


def test_osc_scope_and_own_reply(library, kits):
    settings = dataclasses.replace(BridgeSettings(osc_port=0, midi_enabled=False))
    query = str(kits / "Kit N" / "Snare-2.wav")
    with Bridge(library, None, settings).start() as bridge, OscClient(*bridge.address, timeout=5.0) as client:
        everywhere = client.similar(query, 20)
        assert everywhere.of(p.OWN) == [(0, 3, "3 layers of this sound: Snare-0.wav, Snare-1.wav, Snare-3.wav")]
        assert any("Kit N" in path for _, path, _ in everywhere.hits)  # Snare-7 and the toms
        assert client.set("scope", "other folders").error is None
        elsewhere = client.similar(query, 20)
        assert elsewhere.hits and not any("Kit N" in path for _, path, _ in elsewhere.hits)
        assert client.set("scope", "").error is None and client.set("not_under", str(kits / "Kit A")).error is None
        assert not any("Kit A/" in path for _, path, _ in client.similar(query, 20).hits)
        refused = client.set("scope", "nowhere")
        assert refused.error and "other folders" in refused.error


def test_cli_similar_asks_the_running_engine(library, kits, tmp_path, capsys, monkeypatch):
    settings = dataclasses.replace(BridgeSettings(osc_port=0, midi_enabled=False))
    with Bridge(library, None, settings).start() as bridge, library.lock.hold("soundalike serve"):
        config = tmp_path / "config.toml"
        config.write_text(
            f'[engine]\nbackends = ["bands"]\ndefault_backend = "bands"\n[bridge]\nosc_port = {bridge.address[1]}\n'
        )
        monkeypatch.setenv("SOUNDALIKE_CONFIG", str(config))
        monkeypatch.setattr("soundalike.engine.library.facade.Library", None)  # opening the library here fails
        assert main(["--data-dir", str(library.data_dir), "similar", str(kits / "Kit B" / "Snare-Med.wav")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("(2 layers of this sound: ") and "from the running engine" in out


def test_recording_processed_files_links_them_as_ingest_does(make_settings, tmp_path):
    from soundalike.engine.pipeline.audio import decode_file
    from soundalike.engine.pipeline.ingest import Ingestor, Job
    from soundalike.engine.pipeline.walk import stat_entry

    root = tmp_path / "Loose"
    paths = [
        write(root / "a" / "snare.wav", render("snare", seed=3)),
        write(root / "b" / "snare copy.flac", render("snare", seed=3) * 0.6, format="FLAC"),
    ]
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.add_root(root)
        embedders = {"bands": library.embedder("bands")}
        processed = Ingestor(embedders, library.settings.engine).process(
            [Job(stat_entry(str(path), str(root)), ("bands",)) for path in paths]
        )
        assert all(item.fingerprint for item in processed) and decode_file(paths[0]).facts.duration > 0
        report = library.record(processed)
        assert report.indexed == 2
        assert family_of(library, paths[0]) == family_of(library, paths[1])


def test_a_relation_decodes_fingerprints_only_of_candidates_close_enough_to_need_them():
    from soundalike.engine.library.families import Member, relation

    unreadable = b"\x05\x00"  # says five frames, holds none: decoding it would raise
    kick, hat = np.array([1.0, 0.0], np.float32), np.array([0.2, 1.0], np.float32)
    a = Member(1, "/kit/kick.wav", "a", unreadable, kick, -12.0, 0.5)
    b = Member(2, "/other/hat.wav", "b", unreadable, hat, -20.0, 0.5)
    assert relation(a, b) is None
    same_folder = Member(3, "/kit/hat.wav", "c", unreadable, hat, -20.0, 0.5)
    assert relation(a, same_folder) is None
    with pytest.raises(ValueError):
        relation(a, Member(4, "/other/kick copy.wav", "d", unreadable, kick, -12.0, 0.5))
