"""CLAP backend on a tiny random CLAP loaded through model_path."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from soundalike.engine.embedders.clap import DEFAULT_LABELS, ClapEmbedder  # noqa: E402
from soundalike.engine.errors import BackendUnavailable  # noqa: E402

pytestmark = pytest.mark.neural
SR = ClapEmbedder.sample_rate


@pytest.fixture(scope="module")
def clap(tiny_clap_path):
    return ClapEmbedder(ClapEmbedder.Options(model_path=str(tiny_clap_path), device="cpu", batch_size=4))


@pytest.fixture(scope="module")
def clips(tone):
    return [tone(SR, seconds, freq, seed) for seconds, freq, seed in ((0.1, 6000, 0), (0.5, 80, 1), (1.5, 440, 2))]


def test_shape_and_unit_norm(clap, clips):
    vectors = clap.embed(clips)
    assert vectors.shape == (3, clap.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_long_clip_is_deterministic(clap, tone):
    long_clip = tone(SR, 25.0, 300, seed=7, decay=0.05)
    np.testing.assert_array_equal(clap.embed([long_clip]), clap.embed([long_clip]))


def test_batch_equals_one_by_one(clap, clips, tone):
    batch = clap.embed([*clips, tone(SR, 12.0, 200, 3, decay=0.1)])
    single = np.concatenate([clap.embed([c]) for c in [*clips, tone(SR, 12.0, 200, 3, decay=0.1)]])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_short_clip_ignores_surrounding_silence(clap, tone):
    hat = tone(SR, 0.1, 8000, seed=4, decay=40)
    padded = np.concatenate([np.zeros(SR // 50, np.float32), hat, np.zeros(SR // 20, np.float32)])
    np.testing.assert_allclose(clap.embed([hat]), clap.embed([padded]), atol=1e-6)


def test_text_embeddings(clap):
    texts = ["a kick drum", "the sound of rain", "an open hi-hat"]
    vectors = clap.embed_text(texts)
    assert vectors.shape == (3, clap.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(clap.embed_text(texts[:1]), vectors[:1], atol=1e-5)


def test_zero_shot_tags_are_a_distribution(clap, clips):
    analysis = clap.analyse(clips)
    np.testing.assert_allclose(analysis.vectors, clap.embed(clips), atol=1e-6)
    assert len(analysis.tags) == len(clips)
    for tags in analysis.tags:
        assert list(tags) == list(DEFAULT_LABELS)
        assert sum(tags.values()) == pytest.approx(1.0, abs=1e-6)
        assert all(0.0 <= p <= 1.0 for p in tags.values())


def test_custom_labels_and_prompt(tiny_clap_path, clips):
    options = ClapEmbedder.Options(
        model_path=str(tiny_clap_path), device="cpu", labels=("kick", "snare"), prompt="{label} one-shot"
    )
    tags = ClapEmbedder(options).analyse(clips[:1]).tags[0]
    assert set(tags) == {"kick", "snare"} and sum(tags.values()) == pytest.approx(1.0)


def test_audio_query_ranks_itself_first(clap, tone):
    library = [tone(SR, 0.2 + 0.1 * i, 60 * 1.5**i, seed=i, decay=3 + i) for i in range(8)]
    vectors = clap.embed(library)
    for index, query in enumerate(vectors):
        assert int(np.argmax(vectors @ query)) == index


def test_text_search_matches_brute_force_cosine(clap, tone):
    library = clap.embed([tone(SR, 0.3 + 0.2 * i, 90 * 1.4**i, seed=i) for i in range(6)])
    query = clap.embed_text(["a deep kick drum"])[0]
    scores = library @ query
    brute = [float(np.dot(v, query) / (np.linalg.norm(v) * np.linalg.norm(query))) for v in library]
    np.testing.assert_allclose(scores, brute, atol=1e-5)
    assert np.argsort(-scores).tolist() == np.argsort(-np.asarray(brute)).tolist()


def test_collapsed_text_tower_is_refused(tiny_clap_path, tmp_path):
    model = transformers.ClapModel.from_pretrained(tiny_clap_path, local_files_only=True)
    with torch.no_grad():
        for param in model.text_projection.parameters():
            param.zero_()
        model.text_projection.linear2.bias.fill_(1.0)
    model.save_pretrained(tmp_path)
    transformers.ClapProcessor.from_pretrained(tiny_clap_path).save_pretrained(tmp_path)
    with pytest.raises(BackendUnavailable, match="near-identical"):
        ClapEmbedder(ClapEmbedder.Options(model_path=str(tmp_path), device="cpu"))
