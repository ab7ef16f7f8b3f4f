"""wav2vec2, HuBERT, WavLM, speaker x-vectors and MERT on tiny random checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from soundalike.engine.embedders.mert import MertEmbedder  # noqa: E402
from soundalike.engine.embedders.speech import HubertEmbedder, SpeakerEmbedder, Wav2Vec2Embedder, WavLMEmbedder  # noqa: E402
from soundalike.engine.errors import UserError  # noqa: E402

pytestmark = pytest.mark.neural

CASES = {
    "wav2vec2": (Wav2Vec2Embedder, "tiny_wav2vec2_path", 16),
    "hubert": (HubertEmbedder, "tiny_hubert_path", 16),
    "wavlm": (WavLMEmbedder, "tiny_wavlm_path", 16),
    "speaker": (SpeakerEmbedder, "tiny_speaker_path", 12),
    "mert": (MertEmbedder, "tiny_mert_path", 16),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def backend(request):
    cls, path_fixture, _ = CASES[request.param]
    path = request.getfixturevalue(path_fixture)
    return cls(cls.Options(model_path=str(path), device="cpu", batch_size=3, window_seconds=2.0))


@pytest.fixture(scope="module")
def clips(backend, tone):
    sr = backend.sample_rate
    return [tone(sr, seconds, 120 * (i + 1), seed=i) for i, seconds in enumerate((0.01, 0.2, 0.9, 1.0, 4.7))]


def test_shape_dim_and_unit_norm(backend, clips):
    vectors = backend.embed(clips)
    assert vectors.shape == (len(clips), CASES[backend.name][2]) == (len(clips), backend.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_deterministic_and_batch_independent(backend, clips):
    batch = backend.embed(clips)
    np.testing.assert_array_equal(batch, backend.embed(clips))
    single = np.concatenate([backend.embed([clip]) for clip in clips])
    np.testing.assert_allclose(batch, single, atol=1e-5)
    np.testing.assert_allclose(backend.embed(clips[::-1])[::-1], batch, atol=1e-5)


def test_long_clip_pools_to_one_vector(backend, tone):
    long_clip = tone(backend.sample_rate, 9.0, 200, seed=9, decay=0.2)
    first, second = backend.embed([long_clip]), backend.embed([long_clip])
    assert first.shape == (1, backend.dim)
    np.testing.assert_array_equal(first, second)


def test_mert_reads_a_remote_code_config_without_remote_code(tiny_mert_path):
    config = (tiny_mert_path / "config.json").read_text()
    assert '"MERT"' in config and "auto_map" in config
    mert = MertEmbedder(MertEmbedder.Options(model_path=str(tiny_mert_path), device="cpu"))
    assert type(mert._model).__name__ == "HubertModel"
    assert mert.options.layers == ()


def test_layer_choice_changes_the_vector(tiny_mert_path, tone):
    clip = [tone(MertEmbedder.sample_rate, 0.5, 300)]
    vectors = [
        MertEmbedder(MertEmbedder.Options(model_path=str(tiny_mert_path), device="cpu", layers=layers)).embed(clip)
        for layers in ((), (0,), (-1,))
    ]
    assert np.abs(vectors[0] - vectors[1]).max() > 1e-3 and np.abs(vectors[1] - vectors[2]).max() > 1e-3


def test_out_of_range_layer_is_a_config_error(tiny_wav2vec2_path):
    with pytest.raises(UserError, match="out of range"):
        Wav2Vec2Embedder(Wav2Vec2Embedder.Options(model_path=str(tiny_wav2vec2_path), device="cpu", layers=(7,)))
