"""Copies and velocity layers fold into one result, in the engine, the CLI and over OSC."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from soundalike.bridge import Bridge
from soundalike.bridge.osc.client import OscClient
from soundalike.cli import main
from soundalike.engine.config import BridgeSettings
from soundalike.engine.library.collapse import Folded, Group, collapse, grouped, layer_key
from soundalike.engine.library.facade import Library
from soundalike.engine.library.queries import Hit
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.store.rows import SampleRow
from soundalike.engine.tools.demo import render
from tests.conftest import TEST_BACKENDS, write


@pytest.fixture
def copied_kit(tmp_path):
    """A kit, a copy of it (same bytes), a quieter FLAC copy of its snare, and another kit whose
    snare comes in three velocity layers; plus a query snare from a third kit."""
    root = tmp_path / "Samples"
    for number, instrument in enumerate(("kick", "snare", "closed hat", "cymbal")):
        write(root / "Kit A" / f"{instrument.replace(' ', '_')}.wav", render(instrument, seed=number))
    shutil.copytree(root / "Kit A", root / "Kit A copy")
    write(root / "Kit A flac" / "snare.flac", render("snare", seed=1) * 0.5, format="FLAC")
    for seed, velocity in enumerate(("Soft", "Med", "Hard")):
        write(root / "Kit B" / f"Snare-{velocity}.wav", render("snare", seed=50 + seed) * (0.4 + 0.3 * seed))
    write(root / "Kit B" / "Kick-Hard.wav", render("kick", seed=60))
    write(root / "Kit C" / "snare_query.wav", render("snare", seed=70))
    return root


@pytest.fixture
def library(make_settings, copied_kit):
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.scan([str(copied_kit)])
        yield library


def test_layer_names():
    assert layer_key("/k/Snare-Soft.wav") == layer_key("/k/Snare-Hardest.wav") == ("/k", "snare")
    assert layer_key("/k/kick_v3.wav") == layer_key("/k/kick_v12.wav")
    assert layer_key("/k/Kick 01.wav") is None and layer_key("/k/Softkick.wav") is None
    assert layer_key("/k/Snare-Soft.wav") != layer_key("/other/Snare-Hard.wav")


def test_copies_and_layers_fold_into_one_group_each(library, copied_kit):
    query = str(copied_kit / "Kit C" / "snare_query.wav")
    hits = library.similar(SimilarQuery(query, k=50, collapse=False)).hits
    groups = collapse(hits, library.browse.sound_labels(hit.sample.id for hit in hits))
    assert sum(1 + len(g.members) for g in groups) == len(hits)  # nothing lost
    by_lead = {g.lead.path: g for g in groups}
    snare_copies = [g for g in groups if g.lead.path.endswith(("snare.wav", "snare.flac"))]
    assert len(snare_copies) == 1 and len(snare_copies[0].copies) == 2 and not snare_copies[0].layers
    layers = [g for g in groups if "Snare-" in g.lead.path]
    assert len(layers) == 1 and len(layers[0].layers) == 2 and layers[0].summary() == "+2 layers"
    assert any("Kick-Hard" in path for path in by_lead)  # a lone layer mark folds nothing
    scores = [g.score for g in groups]
    assert scores == sorted(scores, reverse=True)  # groups rank by their best hit
    assert layers[0].lead.path.endswith("Snare-Hard.wav")  # shown by the loudest layer


def test_a_collapsed_query_still_fills_k_rows(library, copied_kit):
    query = str(copied_kit / "Kit C" / "snare_query.wav")
    asked = []

    def run(k):
        asked.append(k)
        return library.similar(SimilarQuery(query, k=k, collapse=False)).hits

    groups = grouped(library.browse, run, 6)  # 13 other files: 6 sounds once copies and layers fold
    assert len(groups) == 6 and len({g.lead.path for g in groups}) == 6
    assert sum(1 + len(g.members) for g in groups) == 13
    assert grouped(library.browse, run, 7) and max(asked) >= 13  # asked for more than it could show
    flat = grouped(
        library.browse, lambda k: library.similar(SimilarQuery(query, k=k, collapse=False)).hits, 8, collapse_on=False
    )
    assert len(flat) == 8 and all(not g.members for g in flat)


def test_same_bytes_are_copies_without_vectors(library, copied_kit):
    rows = library.browse.samples(range(1, 100))
    kicks = [Hit(row, 0.9) for row in rows.values() if row.path.endswith("kick.wav")]
    groups = collapse(kicks, library.browse.sound_labels(hit.sample.id for hit in kicks))
    assert len(kicks) == 2 and len(groups) == 1 and len(groups[0].copies) == 1


def test_cli_collapses_by_default_and_no_collapse_lists_each(make_settings, copied_kit, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))
    data = str(tmp_path / "cli-lib")
    assert main(["--data-dir", data, "index", str(copied_kit)]) == 0
    capsys.readouterr()
    query = str(copied_kit / "Kit C" / "snare_query.wav")
    assert main(["--data-dir", data, "similar", query, "-k", "20", "--json"]) == 0
    folded = json.loads(capsys.readouterr().out)
    assert main(["--data-dir", data, "similar", query, "-k", "20", "--json", "--no-collapse"]) == 0
    flat = json.loads(capsys.readouterr().out)
    assert len(flat) == 13 and not any("folded" in hit for hit in flat)  # every other file
    assert len(folded) < len(flat)
    assert sum(1 + len(hit.get("folded", [])) for hit in folded) == len(flat)
    assert main(["--data-dir", data, "similar", query, "-k", "20"]) == 0
    out = capsys.readouterr().out
    assert "(+2 copies)" in out and "(+2 layers)" in out and "--no-collapse" in out


def test_osc_set_collapse(library, copied_kit):
    settings = dataclasses.replace(BridgeSettings(osc_port=0, midi_enabled=False))
    query = str(copied_kit / "Kit C" / "snare_query.wav")
    with Bridge(library, None, settings).start() as bridge, OscClient(*bridge.address, timeout=5.0) as client:
        folded = client.similar(query, 13)
        assert folded.error is None and folded.count < 13
        assert client.set("collapse", 0).error is None
        flat = client.similar(query, 13)
        assert flat.count == 13 and set(folded.paths) < set(flat.paths)
        refused = client.set("collapse", 7)
        assert refused.error and "collapse takes 1" in refused.error


def _row(sample_id: int, name: str) -> SampleRow:
    return SampleRow(
        sample_id,
        f"/lib/{name}",
        "/lib",
        1,
        0.0,
        None,
        "ok",
        None,
        "WAV",
        44100,
        1,
        0.5,
        -1.0,
        -20.0,
        False,
        False,
        False,
        0.0,
        0.0,
    )


def test_folded_hits_carry_the_score_their_group_ranks_by():
    # the loud layer leads its group, but the soft one scored best: the group ranks by 0.97
    loud, soft, other = (
        Hit(_row(1, "Snare-Hard.wav"), 0.90),
        Hit(_row(2, "Snare-Soft.wav"), 0.97),
        Hit(_row(3, "x.wav"), 0.95),
    )
    folded = Folded([Group(loud, layers=(soft,)), Group(other)])
    assert [(h.sample.id, h.score) for h in folded.hits] == [(1, 0.97), (3, 0.95)]
