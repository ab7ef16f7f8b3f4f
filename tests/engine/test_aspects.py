"""Aspect weighting with the built-in backend: rankings move the way the aspect says."""

from __future__ import annotations

import numpy as np
import pytest

from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from tests.conftest import write

RATE = 44100


def tone(freq: float, decay: float, seconds: float = 1.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.8 * np.sin(2 * np.pi * freq * t) * np.exp(-t / decay)).astype(np.float32)


@pytest.fixture
def tone_library(tmp_path, make_settings):
    root = tmp_path / "Tones"
    sounds = {
        "query 220 short": tone(220, 0.05),
        "same pitch long": tone(220, 0.6),
        "other pitch short": tone(700, 0.05),
        "far pitch long": tone(1400, 0.6),
    }
    for name, audio in sounds.items():
        write(root / f"{name}.wav", audio)
    library = Library(make_settings(backends=("builtin",), default="builtin"))
    library.scan([root])
    yield library, root
    library.close()


def names(hits) -> list[str]:
    return [h.path.rsplit("/", 1)[-1][:-4] for h in hits]


def test_pitch_and_envelope_aspects_pick_different_neighbours(tone_library):
    library, root = tone_library
    query = root / "query 220 short.wav"
    assert names(library.similar(SimilarQuery(query, k=1, weights={"pitch": 1.0}, collapse=False)).hits) == [
        "same pitch long"
    ]
    assert names(library.similar(SimilarQuery(query, k=1, weights={"envelope": 1.0}, collapse=False)).hits) == [
        "other pitch short"
    ]


def test_unknown_aspect_is_an_error(tone_library):
    library, root = tone_library
    with pytest.raises(ValueError, match="unknown aspect"):
        library.similar(SimilarQuery(root / "query 220 short.wav", weights={"groove": 1.0}, collapse=False))


@pytest.mark.parametrize("weights", [None, {"timbre": 1.0, "pitch": 0.5}])
def test_ranking_vectors_rank_as_similar_does(tone_library, weights):
    library, root = tone_library
    embedder = library.embedder("builtin")
    ids, stored = library.browse.stored_vectors("builtin")
    ranked = embedder.ranking_vectors(stored, weights)
    query_id = library.browse.sample_by_path(root / "query 220 short.wav").id
    row = list(ids).index(query_id)
    cosines = ranked @ ranked[row]
    expected = [int(i) for i in ids[np.argsort(-cosines)] if i != query_id]
    assert [
        h.sample.id for h in library.similar(SimilarQuery(query_id, k=3, weights=weights, collapse=False)).hits
    ] == expected


def test_scores_read_as_weighted_mean_cosines(tone_library, tmp_path):
    library, root = tone_library
    copy = write(tmp_path / "elsewhere" / "copy.wav", tone(220, 0.05))
    for weights in (None, {"pitch": 1.0}, {"overall": 1.0, "envelope": 2.0}):
        best = library.similar(SimilarQuery(copy, k=1, weights=weights, collapse=False)).hits[0]
        assert best.path.endswith("query 220 short.wav")
        assert best.score == pytest.approx(1.0, abs=1e-3)  # the same sound scores 1 whatever the weights
    with pytest.raises(ValueError, match="zero or more"):
        library.similar(SimilarQuery(copy, weights={"pitch": -1.0}, collapse=False))
