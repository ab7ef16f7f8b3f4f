"""Decoding real files, including the bad ones a real sample library holds."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from soundalike.engine.errors import DecodeError
from soundalike.engine.pipeline.audio import decode_file, prepare, trim_leading_silence
from soundalike.engine.tools.demo import render
from tests.conftest import write
from tests.permissions import ReadLocks


def tone(seconds=0.5, rate=44100, freq=440.0, amplitude=0.5, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    mono = amplitude * np.sin(2 * np.pi * freq * t)
    return np.tile(mono[:, None], (1, channels)) if channels > 1 else mono


@pytest.mark.parametrize(
    "ext,fmt,subtype",
    [
        ("wav", "WAV", "PCM_16"),
        ("aiff", "AIFF", "PCM_24"),
        ("flac", "FLAC", "PCM_16"),
        ("ogg", "OGG", "VORBIS"),
        ("mp3", "MP3", "MPEG_LAYER_III"),
    ],
)
def test_decodes_every_supported_format(tmp_path, ext, fmt, subtype):
    path = write(tmp_path / f"tone.{ext}", tone(), 44100, format=fmt, subtype=subtype)
    decoded = decode_file(path)
    assert decoded.sample_rate == 44100
    assert decoded.facts.format.startswith(fmt)
    assert decoded.facts.duration == pytest.approx(0.5, abs=0.06)
    assert decoded.facts.peak_db == pytest.approx(-6.0, abs=1.0)


def test_extension_that_lies_is_decoded_by_content(tmp_path):
    wav = write(tmp_path / "real.wav", tone())
    liar = tmp_path / "actually_a_wav.ogg"
    shutil.copy(wav, liar)
    assert decode_file(liar).facts.format.startswith("WAV")


def test_multichannel_high_rate_file_is_mixed_to_mono(tmp_path):
    audio = tone(seconds=0.2, rate=384000, channels=8)
    audio[:, 4:] *= -1  # half the channels cancel the other half
    audio[:, 0] *= 2
    path = write(tmp_path / "eight.wav", audio, 384000, subtype="FLOAT")
    decoded = decode_file(path)
    assert decoded.facts.channels == 8 and decoded.facts.sample_rate == 384000
    assert decoded.samples.ndim == 1
    expected = audio.mean(axis=1)
    np.testing.assert_allclose(decoded.samples, expected, atol=1e-6)
    assert prepare(decoded, 22050).size == pytest.approx(0.2 * 22050, abs=60)


@pytest.mark.parametrize(
    "content,reason",
    [
        (b"", "empty file"),
        (b"this is a text file, not audio\n" * 20, "not decodable audio"),
        (bytes(range(256)) * 40, "not decodable audio"),
    ],
)
def test_non_audio_raises_decode_error_with_reason(tmp_path, content, reason):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(DecodeError, match=reason):
        decode_file(path)


def test_truncated_header_is_a_decode_error(tmp_path):
    data = write(tmp_path / "whole.wav", tone()).read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:30])
    with pytest.raises(DecodeError):
        decode_file(tmp_path / "cut.wav")


def test_truncated_data_decodes_what_is_there(tmp_path):
    data = write(tmp_path / "whole.wav", tone(seconds=1.0)).read_bytes()
    (tmp_path / "half.wav").write_bytes(data[: len(data) // 2])
    decoded = decode_file(tmp_path / "half.wav")
    assert 0.4 < decoded.decoded_seconds < 0.6


def test_silence_and_clipping_are_described(tmp_path):
    silent = decode_file(write(tmp_path / "silent.wav", np.zeros(4410)), silence_db=-80)
    assert silent.facts.silent and silent.facts.peak_db < -100
    loud = decode_file(write(tmp_path / "loud.wav", np.clip(tone(amplitude=3.0), -1, 1), subtype="FLOAT"))
    assert loud.facts.clipped and not loud.facts.silent


def test_only_max_seconds_of_a_two_hour_file_are_decoded(tmp_path):
    path = tmp_path / "two_hours.wav"
    rate, block = 8000, np.zeros(8000 * 600, dtype=np.int16)
    block[::100] = 1000
    with sf.SoundFile(path, "w", rate, 1, "PCM_16") as handle:
        for _ in range(12):
            handle.write(block)
    decoded = decode_file(path, max_seconds=5.0)
    assert decoded.facts.duration == pytest.approx(7200.0)
    assert decoded.samples.size == 5 * rate
    assert decoded.content_hash.endswith("p")  # identified by size + head + tail, not read whole


def test_content_hash_follows_content_not_name(tmp_path):
    a = write(tmp_path / "a.wav", render("kick", 1))
    b = tmp_path / "renamed.wav"
    shutil.copy(a, b)
    c = write(tmp_path / "c.wav", render("kick", 2))
    assert decode_file(a).content_hash == decode_file(b).content_hash != decode_file(c).content_hash


def test_missing_file_and_directory_have_reasons(tmp_path):
    with pytest.raises(DecodeError, match="not found"):
        decode_file(tmp_path / "nope.wav")
    (tmp_path / "folder.wav").mkdir()
    with pytest.raises(DecodeError, match="directory"):
        decode_file(tmp_path / "folder.wav")


def test_unreadable_file_has_a_reason(tmp_path, monkeypatch):
    path = write(tmp_path / "locked.wav", tone())
    ReadLocks(monkeypatch).take(path)  # simulated when root, who reads whatever the mode says
    with pytest.raises(DecodeError, match="permission denied"):
        decode_file(path)


def test_trim_keeps_the_attack_and_drops_leading_silence():
    rate = 44100
    audio = np.concatenate([np.zeros(rate // 2), tone(0.1)]).astype(np.float32)
    trimmed = trim_leading_silence(audio, rate, -60)
    assert trimmed.size == pytest.approx(int(0.1 * rate) + int(0.002 * rate), abs=3)
    assert np.abs(trimmed[: int(0.002 * rate)]).max() < 1e-3  # the pre-roll is the silence before the attack


def test_unicode_and_spaces_in_path(tmp_path):
    path = write(tmp_path / "Kïck Drüms 808 — 日本" / "bass drum (long).wav", render("kick", 3))
    assert decode_file(path).facts.duration > 0.3


def test_facts_as_a_dict_are_every_field_in_order():
    import dataclasses

    from soundalike.engine.pipeline.audio import AudioFacts

    facts = AudioFacts("FLAC PCM_24", 48000, 2, 1.25, -1.5, -18.0, False, True)
    assert facts.as_dict() == dataclasses.asdict(facts)
    assert list(facts.as_dict()) == [field.name for field in dataclasses.fields(AudioFacts)]
