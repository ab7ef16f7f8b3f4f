"""Indexing takes shortcuts; the vectors and facts it records must not change because of them.

Real generated files, the real built-in backend, a real library on disk: each file's stored
vector must equal what the library's ``embed_file`` gives for the whole file (up to the float
rounding of a batched matrix product, which a batch of one does not share), and the backend's
input must be the same bit for bit.
"""

from __future__ import annotations

import numpy as np
import soundfile as sf

from soundalike.engine.embedders.builtin import BuiltinEmbedder
from soundalike.engine.library.facade import Library
from soundalike.engine.pipeline.audio import RESAMPLE_MARGIN_SECONDS, _channel_mean, decode_file, describe, prepare
from soundalike.engine.tools.demo import render
from tests.conftest import TEST_BACKENDS, write


def _long_takes(folder, rate: int) -> list[str]:
    """Files longer than the 2 s the built-in reads: a late loud hit, quiet lead-ins, a roll."""
    rng = np.random.default_rng(15)
    kick, snare, hat = (render(name, seed=3) for name in ("kick", "snare", "closed hat"))
    takes = {
        "late_loud_hit": [(0.1, 0.2, kick), (5.5, 1.0, snare)],  # the peak sets the trim point late
        "quiet_lead_in": [(1.3, 0.9, snare), (3.0, 0.5, hat)],
        "roll": [(0.25 * i, 0.3 + 0.05 * i, hat) for i in range(24)],
    }
    paths = []
    for name, hits in takes.items():
        audio = rng.normal(0, 1e-4, (int(8 * rate), 2)).astype(np.float32)
        for start, gain, sound in hits:
            at = int(start * rate)
            audio[at : at + len(sound)] += gain * np.stack([sound, 0.7 * sound], axis=1)[: len(audio) - at]
        paths.append(str(write(folder / f"{name}.wav", audio, rate, subtype="FLOAT")))
    return paths


def test_indexed_vectors_equal_whole_file_embeddings(make_settings, tmp_path):
    folder = tmp_path / "long"
    paths = _long_takes(folder, 48000) + _long_takes(folder / "cd", 44100)
    with Library(make_settings(backends=("builtin",), default="builtin"), backends=TEST_BACKENDS) as library:
        report = library.scan([str(folder)])
        assert report.indexed == len(paths)
        for path in paths:
            row = library.browse.sample_by_path(path)
            stored = library.index("builtin").reconstruct(row.id)
            alone = library.embed_file(path, "builtin")
            assert np.allclose(stored, alone, rtol=0, atol=1e-6), (path, np.abs(stored - alone).max())


def test_resampling_only_what_the_backend_reads_keeps_its_input_identical(tmp_path):
    embedder = BuiltinEmbedder()
    for rate in (44100, 48000, 96000):
        path = _long_takes(tmp_path / str(rate), rate)[2]
        decoded = decode_file(path)
        whole = prepare(decoded, embedder.sample_rate, -50.0)
        cropped = prepare(decoded, embedder.sample_rate, -50.0, embedder.reads_seconds)
        assert len(cropped) < len(whole)  # the shortcut was taken
        assert len(cropped) >= (embedder.reads_seconds + RESAMPLE_MARGIN_SECONDS / 2) * embedder.sample_rate
        assert np.array_equal(embedder.embed([cropped]), embedder.embed([whole]))


def test_channel_mean_and_facts_match_the_plain_numpy_formulas(tmp_path):
    rng = np.random.default_rng(2)
    for channels in (1, 2, 3, 6):
        frames = (rng.normal(0, 0.4, (30001, channels))).astype(np.float32)
        frames[100, 0] = 1.0  # clipped samples on one channel
        frames[200:205, 0] = -1.0
        expected = frames.mean(axis=1) if channels > 1 else frames[:, 0]
        mono = _channel_mean(frames)
        assert mono.dtype == np.float32 and np.array_equal(mono, expected)
        path = write(tmp_path / f"c{channels}.wav", frames, 44100, subtype="FLOAT")
        facts = decode_file(path).facts
        magnitude = np.abs(expected)
        assert facts.peak_db == 20 * np.log10(float(magnitude.max()))
        assert facts == describe(expected, facts.format, 44100, channels, facts.duration)
    loud = write(
        tmp_path / "loud.wav", np.clip(rng.normal(0, 2, 44100), -1, 1).astype(np.float32), 44100, subtype="FLOAT"
    )
    assert decode_file(loud).facts.clipped
    quiet = write(tmp_path / "quiet.wav", rng.normal(0, 0.1, 44100).astype(np.float32), 44100, subtype="FLOAT")
    assert not decode_file(quiet).facts.clipped
    assert sf.info(str(quiet)).frames == 44100


def test_feature_shortcuts_equal_the_plain_numpy_formulas():
    from soundalike.engine.embedders.builtin_features import SEGMENTS, _median, _row_ranges

    rng = np.random.default_rng(11)
    for size in (1, 2, 3, 28, 512, 513):
        values = rng.gamma(0.5, 1.0, size).astype(np.float32)
        assert _median(values) == np.median(values) and _median(values).dtype == np.float32
    for peak in (0, 3, 40, 170):
        rel = np.concatenate([np.arange(0, peak + 52), np.arange(peak + 52, 173, 4)]) - peak
        power = rng.random((len(rel), 7)).astype(np.float32)
        for (start, stop), rows in zip(SEGMENTS, _row_ranges(rel, SEGMENTS)):
            assert np.array_equal(power[rows], power[(rel >= start) & (rel < stop)])
