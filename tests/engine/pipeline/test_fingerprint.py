"""The copy fingerprint, computed the cheaper way, decides as the old computation did."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from soundalike.engine.pipeline import fingerprint as fp
from soundalike.engine.pipeline.audio import Decoded, describe
from soundalike.engine.tools import demo


def decoded(samples: np.ndarray, rate: int, fmt: str = "WAV PCM_16") -> Decoded:
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    facts = describe(samples, fmt, rate, 1, len(samples) / rate)
    return Decoded(samples, rate, facts, "hash", len(samples) / rate)


def old_fingerprint(sound: Decoded) -> fp.Fingerprint:
    """As it was: the whole file resampled, numpy's FFT in every frame, the bands summed one by one."""
    magnitude = np.abs(sound.samples)
    mono = sound.samples[int(np.argmax(magnitude > magnitude.max() * 10 ** (-30 / 20))) :]
    peak = float(np.abs(mono).max())
    if peak > 0:
        mono = mono / np.float32(peak)
    length = int(fp.SECONDS * fp.RATE)
    if sound.sample_rate != fp.RATE:
        mono = soxr.resample(mono, sound.sample_rate, fp.RATE, quality="HQ").astype(np.float32)
    mono = mono[:length]
    padded = np.zeros(length, dtype=np.float32)
    padded[: mono.size] = mono
    whole = max(1, (mono.size - fp.WINDOW) // fp.HOP + 1)
    frames = min(whole + -(-fp.WINDOW // fp.HOP), 1 + (length - fp.WINDOW) // fp.HOP)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(fp.WINDOW) / fp.WINDOW)).astype(np.float32)
    index = np.arange(fp.WINDOW)[None, :] + fp.HOP * np.arange(frames)[:, None]
    power = (np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2).T
    edges = np.searchsorted(np.fft.rfftfreq(fp.WINDOW, 1 / fp.RATE), fp.BANDS)
    bands = np.stack([power[a : max(b, a + 1)].sum(axis=0) for a, b in zip(edges[:-1], edges[1:])], axis=1)
    levels = 10 * np.log10(bands + 1e-12)
    levels = np.maximum(levels - levels.max(), fp.FLOOR_DB)
    return fp.Fingerprint(levels.astype(np.float32), frames=min(len(levels), whole))


def sounds() -> dict[str, Decoded]:
    snare = demo.render("snare", 3)
    long = np.tile(demo.render("kick", 1), 12)  # ~6 s: more than the fingerprint reads
    quiet_start = np.concatenate([np.full(3000, 1e-4, np.float32), demo.render("tom", 2)])
    return {
        "snare 44.1 kHz": decoded(snare, demo.RATE),
        "snare 48 kHz": decoded(soxr.resample(snare, demo.RATE, 48000), 48000),
        "snare 22.05 kHz": decoded(soxr.resample(snare, demo.RATE, fp.RATE), fp.RATE),
        "long kick": decoded(long, demo.RATE),
        "tom after a quiet start": decoded(quiet_start, demo.RATE),
        "a click": decoded(np.array([0.0, 0.9, -0.3], np.float32), demo.RATE),
    }


@pytest.mark.parametrize("name", list(sounds()))
def test_the_fingerprint_is_the_old_one_to_float_noise(name):
    sound = sounds()[name]
    now, before = fp.fingerprint(sound), old_fingerprint(sound)
    assert now.frames == before.frames and now.levels.shape == before.levels.shape
    np.testing.assert_allclose(now.levels, before.levels, rtol=0, atol=0.01)  # dB
    assert fp.distance(now, before) < 0.001 and fp.is_duplicate(now, before)
    assert fp.decode(fp.encode(now)).frames == now.frames


def test_only_the_first_second_and_the_margin_are_resampled(monkeypatch):
    seen = []

    def resample(mono, rate, target):
        seen.append(len(mono))
        return soxr.resample(mono, rate, target, quality="HQ").astype(np.float32)

    monkeypatch.setattr(fp, "resample", resample)
    fp.fingerprint(sounds()["long kick"])
    assert seen and max(seen) <= int(np.ceil((fp.SECONDS + 0.5) * demo.RATE))
