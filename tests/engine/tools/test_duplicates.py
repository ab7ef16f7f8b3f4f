"""Near-duplicates: copies in other formats, rates, depths, gains and trims group; velocity layers don't."""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from soundalike.engine.library.facade import Library
from soundalike.engine.pipeline.audio import decode_file
from soundalike.engine.tools.demo import RATE, _bandpass, _decay, _time
from soundalike.engine.tools.duplicates import find_duplicates, fingerprint, group_pairs, is_duplicate
from tests.conftest import TEST_BACKENDS, write


def snare_layer(velocity: float, take: int) -> np.ndarray:
    """One hit of a snare: the noise differs on every take, brightness and decay with velocity."""
    rng = np.random.default_rng(take)
    t = _time(0.35)
    tone = np.sin(2 * np.pi * 200 * t) * _decay(t, 0.05)
    noise = _bandpass(rng.standard_normal(t.size), 1500, 9000) * _decay(t, 0.1 + 0.03 * velocity)
    audio = (tone * 0.6 + noise * velocity) * velocity
    return (audio / np.abs(audio).max() * 0.9).astype(np.float32)


def kick_layer(velocity: float) -> np.ndarray:
    t = _time(0.5)
    freq = 45 + (150 + 30 * velocity - 45) * _decay(t, 0.04)
    audio = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * _decay(t, 0.15 + 0.05 * velocity)
    return (audio / np.abs(audio).max() * 0.9).astype(np.float32)


def variants(original: np.ndarray) -> dict[str, tuple[np.ndarray, int, dict]]:
    return {
        "48k.wav": (soxr.resample(original, RATE, 48000), 48000, {}),
        "22k.wav": (soxr.resample(original, RATE, 22050), 22050, {}),
        "24bit.flac": (original, RATE, {"subtype": "PCM_24"}),
        "8bit.wav": (original, RATE, {"subtype": "PCM_U8"}),
        "vorbis.ogg": (original, RATE, {"format": "OGG", "subtype": "VORBIS"}),
        "mpeg.mp3": (original, RATE, {"format": "MP3", "subtype": "MPEG_LAYER_III"}),
        "quieter.wav": (original * 0.2, RATE, {}),
        "padded.wav": (np.concatenate([np.zeros(3000, np.float32), original]), RATE, {}),
        "tail cut.wav": (original[: int(0.6 * original.size)], RATE, {}),
    }


@pytest.mark.parametrize("name", ["snare", "kick"])
def test_every_copy_matches_the_original(tmp_path, name):
    original = snare_layer(0.9, take=1) if name == "snare" else kick_layer(0.9)
    reference = fingerprint(decode_file(write(tmp_path / "original.wav", original)))
    for variant, (audio, rate, kwargs) in variants(original).items():
        copy = fingerprint(decode_file(write(tmp_path / variant, audio, rate, **kwargs)))
        assert is_duplicate(reference, copy), variant


def test_velocity_layers_and_other_takes_do_not_match(tmp_path):
    hard = fingerprint(decode_file(write(tmp_path / "snare hard.wav", snare_layer(0.9, take=1))))
    for velocity, take in ((0.9, 2), (0.7, 3), (0.5, 4)):
        layer = fingerprint(decode_file(write(tmp_path / f"snare {velocity} {take}.wav", snare_layer(velocity, take))))
        assert not is_duplicate(hard, layer), (velocity, take)
    kick = fingerprint(decode_file(write(tmp_path / "kick hard.wav", kick_layer(0.9))))
    for velocity in (0.7, 0.5):
        assert not is_duplicate(
            kick, fingerprint(decode_file(write(tmp_path / f"k{velocity}.wav", kick_layer(velocity))))
        )


def test_group_pairs_joins_chains():
    assert group_pairs([(1, 2), (2, 3), (7, 8)]) == [[1, 2, 3], [7, 8]]


def test_library_duplicates_end_to_end(tmp_path, make_settings):
    root = tmp_path / "Samples"
    original = snare_layer(0.9, take=1)
    write(root / "Pack A" / "snare.wav", original)
    for variant in ("48k.wav", "vorbis.ogg", "quieter.wav"):
        audio, rate, kwargs = variants(original)[variant]
        write(root / "Pack B" / variant, audio, rate, **kwargs)
    write(root / "Pack A" / "snare soft.wav", snare_layer(0.5, take=5))
    write(root / "Pack A" / "snare other take.wav", snare_layer(0.9, take=6))
    write(root / "Pack C" / "kick.wav", kick_layer(0.9))
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.scan([root])
        groups = find_duplicates(library)
    assert [sorted(r.path.split("/")[-1] for r in g) for g in groups] == [
        ["48k.wav", "quieter.wav", "snare.wav", "vorbis.ogg"]
    ]
