"""aisfx with the real weights shipped in the package, on generated drums."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("aisfx")

from soundalike.engine.embedders.aisfx import AisfxEmbedder, log_mel, mel_filterbank, spectrogram_blocks  # noqa: E402

pytestmark = pytest.mark.neural
SR = AisfxEmbedder.sample_rate


def kick(f0: float, seed: int, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    phase = 2 * np.pi * np.cumsum(f0 + 100 * np.exp(-30 * t)) / SR
    noise = 0.01 * np.random.default_rng(seed).standard_normal(t.size)
    return ((np.sin(phase) * np.exp(-8 * t)) + noise).astype(np.float32)


def noise(seed: int, seconds: float = 0.5) -> np.ndarray:
    return (0.5 * np.random.default_rng(seed).standard_normal(int(SR * seconds))).astype(np.float32)


@pytest.fixture(scope="module")
def aisfx():
    return AisfxEmbedder(AisfxEmbedder.Options(device="cpu"))


def test_shape_and_unit_norm(aisfx):
    vectors = aisfx.embed([kick(55, 0), noise(1), kick(60, 2, seconds=0.05)])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_kick_is_closer_to_a_kick_than_to_noise(aisfx):
    a, b, hiss = aisfx.embed([kick(55, 0), kick(62, 1), noise(2)])
    assert a @ b > a @ hiss + 0.1


def test_long_file_pools_blocks_deterministically(aisfx):
    long_clip = noise(3, seconds=7.0)
    assert spectrogram_blocks(log_mel(long_clip, mel_filterbank(SR))).shape[0] > 1
    np.testing.assert_array_equal(aisfx.embed([long_clip]), aisfx.embed([long_clip]))


def test_batch_equals_one_by_one(aisfx):
    clips = [kick(55, 0), noise(4, 3.0), kick(70, 5, 0.2)]
    single = np.concatenate([aisfx.embed([clip]) for clip in clips])
    np.testing.assert_allclose(aisfx.embed(clips), single, atol=1e-5)


def test_level_does_not_matter_with_peak_normalisation(aisfx):
    clip = kick(55, 0)
    np.testing.assert_allclose(aisfx.embed([clip]), aisfx.embed([0.1 * clip]), atol=1e-5)


def test_front_end_matches_the_documented_settings():
    bank = mel_filterbank(SR)
    assert bank.shape == (96, 1025)
    np.testing.assert_allclose(bank.sum(axis=1), 1.0, atol=1e-5)
    spec = log_mel(noise(0, seconds=2.0), bank)
    assert spec.shape == (1 + 2 * SR // 1024, 96) and spec.min() >= 0.0
    assert spectrogram_blocks(spec[:30]).shape == (1, 100, 96)
