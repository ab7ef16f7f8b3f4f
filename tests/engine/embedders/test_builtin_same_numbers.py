"""The built-in backend's faster paths give the numbers its model was trained on.

Each reference below is the computation as it was before it was made cheaper, written out plainly:
the log-mel frames over all FRAME_COUNT frames, the features' clip preparation, the conv net's
im2col. The vectors of generated drums must match the old path's to float noise.
"""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from soundalike.engine.embedders import fft
from soundalike.engine.embedders.builtin import BuiltinEmbedder
from soundalike.engine.embedders.builtin_features import EPS, HOP, N_FFT, SAMPLE_RATE, _prepare
from soundalike.engine.embedders.builtin_frames import FLOOR_DB, FRAME_COUNT, FramesNet, MelFrames
from soundalike.engine.tools import demo


def old_mel_frames(frames: MelFrames, audio: np.ndarray) -> np.ndarray:
    """Every one of the FRAME_COUNT frames transformed, the silent ones too."""
    need = (FRAME_COUNT - 1) * HOP + N_FFT
    x = np.nan_to_num(np.asarray(audio, dtype=np.float32).reshape(-1)[: need - N_FFT // 2])
    peak = float(np.abs(x).max()) if x.size else 0.0
    x = x / peak if peak > 1e-6 else np.zeros_like(x)
    padded = np.zeros(need, dtype=np.float32)
    padded[N_FFT // 2 : N_FFT // 2 + len(x)] = x
    chunks = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:FRAME_COUNT] * frames.window
    spec = fft.rfft(chunks, axis=1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32) @ frames.mel
    db = 10.0 * np.log10(power + EPS)
    db = np.maximum(db - db.max(), FLOOR_DB)
    return (db / (-FLOOR_DB / 2) + 1.0).astype(np.float32)


def old_prepare(audio: np.ndarray, max_len: int) -> np.ndarray:
    x = np.nan_to_num(np.asarray(audio, dtype=np.float32).reshape(-1)[:max_len])
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    peak = float(np.abs(x).max())
    x = x / peak if peak > 1e-6 else np.zeros_like(x)
    return (x + np.sin(np.arange(len(x), dtype=np.float32) * 1.7) * 1e-5).astype(np.float32)


def old_forward(net: FramesNet, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = frames
    for weight, bias, k in net.convs:
        batch, steps, channels = h.shape
        padded = np.pad(h, ((0, 0), (k // 2, k // 2), (0, 0)))
        cols = np.lib.stride_tricks.sliding_window_view(padded, steps, axis=1)
        cols = cols.transpose(0, 3, 1, 2).reshape(batch * steps, k * channels)
        h = np.maximum(cols @ weight + bias, 0.0).reshape(batch, steps, -1)
        h = h[:, : steps // 2 * 2].reshape(batch, steps // 2, 2, -1).max(axis=2)
    pooled = np.concatenate([h.mean(axis=1), h.max(axis=1)], axis=1)
    embedding = pooled @ net.embed[0] + net.embed[1]
    return embedding, embedding @ net.head[0] + net.head[1]


def drums() -> list[np.ndarray]:
    """Generated one-shots as ingest hands them over (22.05 kHz), short and long, plus odd clips."""
    clips = [
        soxr.resample(demo.render(name, seed), demo.RATE, SAMPLE_RATE).astype(np.float32)
        for seed, name in enumerate(("kick", "snare", "closed hat", "tom", "cymbal", "clap"))
    ]
    rng = np.random.default_rng(0)
    long = (rng.standard_normal(3 * SAMPLE_RATE) * np.exp(-np.arange(3 * SAMPLE_RATE) / 20000)).astype(np.float32)
    return [*clips, long, np.zeros(300, np.float32), rng.standard_normal(40).astype(np.float32)]


@pytest.fixture(scope="module")
def embedder() -> BuiltinEmbedder:
    return BuiltinEmbedder()


def test_vectors_and_tags_match_the_old_path(embedder):
    assert embedder.frames is not None and embedder.model.frames is not None  # the shipped model has the net
    clips = drums()
    features = np.stack([embedder.features(clip) for clip in clips])
    frames = np.stack([old_mel_frames(embedder.frames, clip) for clip in clips])
    before = embedder.analyse_features(features, frames)
    now = embedder.analyse(clips)
    np.testing.assert_allclose(now.vectors, before.vectors, rtol=0, atol=1e-5)
    for old, new in zip(before.tags or [], now.tags or [], strict=True):
        assert new == pytest.approx(old, abs=1e-5)


@pytest.mark.parametrize("length", [0, 1, 40, 1023, 1024, 13230, 32256, 32512, 32513, 40000])
def test_mel_frames_match_every_frame_transformed(embedder, length):
    clip = np.random.default_rng(length).standard_normal(length).astype(np.float32)
    np.testing.assert_allclose(embedder.frames(clip), old_mel_frames(embedder.frames, clip), rtol=0, atol=1e-5)


def test_mel_frames_of_non_finite_samples_are_as_before(embedder):
    clip = np.array([np.nan, 0.5, np.inf, -np.inf, -0.25] * 200, dtype=np.float32)
    np.testing.assert_allclose(embedder.frames(clip), old_mel_frames(embedder.frames, clip), rtol=0, atol=1e-5)


@pytest.mark.parametrize("length", [0, 5, 1023, 1024, 20000, 44100, 50000])
def test_the_dither_computed_once_is_the_same_bit_for_bit(embedder, length):
    clip = np.random.default_rng(length).standard_normal(length).astype(np.float32)
    clip[::97] = np.nan
    limit = 2 * SAMPLE_RATE
    expected = old_prepare(clip, limit)
    assert np.array_equal(_prepare(clip, limit, embedder.features.dither), expected)
    assert np.array_equal(_prepare(clip, limit), expected)


def test_the_conv_net_gives_the_same_numbers_bit_for_bit(embedder):
    frames = np.stack([old_mel_frames(embedder.frames, clip) for clip in drums()])
    for new, old in zip(embedder.model.frames.forward(frames), old_forward(embedder.model.frames, frames), strict=True):
        assert np.array_equal(new, old)


def test_the_layout_is_known_without_running_the_frames_net(monkeypatch, embedder):
    def refuse(self, frames):
        raise AssertionError("the frames net ran on start-up")

    with monkeypatch.context() as patched:
        patched.setattr(FramesNet, "forward", refuse)
        fresh = BuiltinEmbedder()
    assert fresh.aspects == embedder.aspects and fresh.dim == embedder.dim
    vectors = fresh.analyse(drums()[:1]).vectors
    assert vectors.shape == (1, fresh.dim) and np.array_equal(vectors, embedder.analyse(drums()[:1]).vectors)
