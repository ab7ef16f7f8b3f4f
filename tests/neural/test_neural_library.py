"""Neural backends inside a real library: several backends at once, text search, stored tags."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import soundalike.engine.pipeline.ingest
from soundalike.cli import main
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import TextQuery
from tests.conftest import TEST_BACKENDS

pytestmark = pytest.mark.neural
pytest.importorskip("torch")


@pytest.fixture
def clap_settings(make_settings, tiny_clap_path):
    def _make(backends):
        settings = make_settings(backends=backends, default="bands")
        return dataclasses.replace(settings, backends={"clap": {"model_path": str(tiny_clap_path), "device": "cpu"}})

    return _make


def test_enabling_clap_later_embeds_only_what_it_lacks(clap_settings, drum_folder, monkeypatch):
    with Library(clap_settings(("bands",)), backends=TEST_BACKENDS) as library:
        library.scan([drum_folder])
        bands_before = library.browse.stored_vectors("bands")[1].copy()
    embedded = []
    real_embed = soundalike.engine.pipeline.ingest.Ingestor._embed

    def spy(self, backend, decoded, results):
        embedded.append((backend, len(decoded)))
        return real_embed(self, backend, decoded, results)

    monkeypatch.setattr(soundalike.engine.pipeline.ingest.Ingestor, "_embed", spy)
    with Library(clap_settings(("bands", "clap")), backends=TEST_BACKENDS) as library:
        report = library.scan()
        assert {backend for backend, _ in embedded} == {"clap"}
        assert sum(n for _, n in embedded) == 24 and report.indexed == 24
        assert library.stats()["vectors"] == {"bands": 24, "clap": 24}
        np.testing.assert_array_equal(library.browse.stored_vectors("bands")[1], bands_before)
        assert library.scan().unchanged == 24


def test_text_search_and_tags_end_to_end(clap_settings, drum_folder):
    with Library(clap_settings(("bands", "clap")), backends=TEST_BACKENDS) as library:
        library.scan([drum_folder])
        hits = library.search(TextQuery("a punchy kick drum", k=5, collapse=False)).hits
        assert len(hits) == 5 and hits[0].score >= hits[-1].score
        clap = library.embedder("clap")
        text = clap.embed_text(["a punchy kick drum"])[0]
        ids, matrix = library.browse.stored_vectors("clap")
        best = ids[np.argsort(-(matrix @ text))[:5]]
        assert [h.sample.id for h in hits] == list(best)  # the index answers what brute force does
        stored = library.browse.tags(hits[0].sample.id)["clap"]
        assert stored and max(stored.values()) >= min(stored.values())
        assert set(stored) <= set(clap.options.labels)
        tagged = library.tag_file(drum_folder / "Kit 0" / "snare_0.wav")
        assert sum(tagged["clap"].values()) == pytest.approx(1.0, abs=1e-4)


def test_search_without_a_text_backend_says_what_to_do(make_settings):
    with Library(make_settings(backends=("bands",)), backends=TEST_BACKENDS) as library:
        with pytest.raises(Exception, match="clap"):
            library.search(TextQuery("snare", collapse=False))


def test_search_command_with_a_local_model(tmp_path, capsys, drum_folder, tiny_clap_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        f'[engine]\nbackends = ["builtin", "clap"]\n[backends.clap]\nmodel_path = "{tiny_clap_path}"\ndevice = "cpu"\n'
    )
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(config))
    data = str(tmp_path / "lib")
    assert main(["--data-dir", data, "index", str(drum_folder)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", data, "search", "tight snare", "-k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and all(h["path"].endswith(".wav") for h in hits)
