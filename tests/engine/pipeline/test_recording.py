"""Spans and hits of files, and recording through a fake input stream at the sounddevice boundary."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from soundalike.engine.errors import FileError
from soundalike.engine.pipeline.denoise import denoise
from soundalike.engine.pipeline.recording import Clip, InputUnavailable, hit_bounds, record, span_of_file, trimmed
from tests.conftest import write
from tests.fake_input import FakeInputDevice

RATE = 48000


def hit(seconds: float = 0.3, freq: float = 200.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * freq * t) * np.exp(-t / 0.05)).astype(np.float32)


def two_hits() -> np.ndarray:
    audio = np.zeros(RATE, np.float32)
    audio[int(0.25 * RATE) : int(0.55 * RATE)] += hit()
    audio[int(0.6 * RATE) : int(0.9 * RATE)] += hit(freq=400.0)
    return audio + np.random.default_rng(0).normal(0, 1e-4, RATE).astype(np.float32)


def test_hit_bounds_cut_from_the_onset_to_the_next_hit():
    first, last = hit_bounds(two_hits(), RATE)
    assert abs(first / RATE - 0.25) < 0.005
    assert 0.5 < last / RATE <= 0.605


def test_a_span_that_starts_in_a_tail_takes_the_next_hit(tmp_path):
    path = write(tmp_path / "loop.wav", two_hits(), RATE)
    clip = span_of_file(str(path), 0.4, 0.95)
    assert abs(clip.start - 0.6) < 0.005 and clip.seconds > 0.2
    whole = span_of_file(str(path), 0.4, 0.95, hit=False)
    assert whole.start == pytest.approx(0.4) and whole.seconds == pytest.approx(0.55, abs=0.001)


def test_bad_spans_say_why(tmp_path):
    path = write(tmp_path / "loop.wav", two_hits(), RATE)
    with pytest.raises(ValueError, match="must come after"):
        span_of_file(str(path), 0.5, 0.5)
    with pytest.raises(ValueError, match="too short"):
        span_of_file(str(path), 0.5, 0.501)
    with pytest.raises(ValueError, match="past the end"):
        span_of_file(str(path), 3.0, 4.0)
    silent = write(tmp_path / "silence.wav", np.zeros(RATE, np.float32), RATE)
    with pytest.raises(FileError, match="nothing audible"):
        span_of_file(str(silent), 0.1, 0.5)


def test_record_collects_the_input_stream_and_trims_to_the_hit():
    audio = np.concatenate([np.zeros(int(0.4 * RATE), np.float32), hit(), np.zeros(RATE, np.float32)])
    device = FakeInputDevice(audio, RATE)
    clip = record(1.2, module=device)
    assert clip.sample_rate == RATE and clip.audio.size == int(1.2 * RATE)
    assert device.streams[0].kwargs["channels"] == 1 and device.closed == 1
    cut = trimmed(clip)
    begin = int(round(cut.start * RATE))
    assert 0.397 <= cut.start <= 0.4 and np.array_equal(cut.audio, audio[begin : begin + cut.audio.size])
    assert cut.seconds > 0.25  # the whole hit, to its tail


def test_no_input_device_is_one_line_with_the_file_route():
    with pytest.raises(InputUnavailable, match=r"no audio input device .*similar FILE --from"):
        record(1.0, module=FakeInputDevice(device_error="Error querying device -1"))


def test_no_portaudio_is_one_line_with_the_file_route(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails as without the library
    with pytest.raises(InputUnavailable, match="similar FILE --from"):
        record(1.0)


def test_silent_recording_is_refused():
    with pytest.raises(FileError, match="nothing audible"):
        trimmed(Clip(np.zeros(RATE, np.float32), RATE, 0.0, "recording"))


def test_denoise_takes_out_the_noise_floor_and_keeps_the_hit():
    clean = np.concatenate([np.zeros(int(0.5 * RATE), np.float32), hit(), np.zeros(RATE, np.float32)])
    noisy = clean + np.random.default_rng(2).normal(0, 10 ** (-50 / 20), clean.size).astype(np.float32)
    out = denoise(noisy, RATE)
    quiet = slice(int(1.2 * RATE), None)  # after the hit has died away

    def db(x):
        return 10 * np.log10(np.mean(np.square(x)) + 1e-20)

    assert db(out[quiet]) < db(noisy[quiet]) - 8  # about 10 dB here: what is left is "musical" residue
    assert abs(db(out[: int(0.9 * RATE)]) - db(clean[: int(0.9 * RATE)])) < 1.0
    assert out.shape == noisy.shape and out.dtype == np.float32


def test_denoise_leaves_a_clean_take_alone():
    clean = np.concatenate([np.zeros(int(0.5 * RATE), np.float32), hit(), np.zeros(RATE, np.float32)])
    assert np.allclose(denoise(clean, RATE), clean, atol=1e-4)
