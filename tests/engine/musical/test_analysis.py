"""Musical facts from generated audio with known answers, and odd input that must not crash."""

from __future__ import annotations

import numpy as np
import pytest

from soundalike.engine.musical.analysis import analyse
from soundalike.engine.musical.keys import compatible_keys, key_name, parse_key
from tests.engine.musical import audio as gen

RATE = gen.RATE


def facts(x: np.ndarray, name: str = "", rate: int = RATE):
    return analyse(x, rate, x.size / rate, name)


@pytest.mark.parametrize("bpm", [90, 100, 120, 128, 140, 174])
def test_click_loops_are_loops_at_their_tempo_with_no_key(bpm):
    m = facts(gen.click_track(bpm))
    assert m.kind == "loop" and m.kind_confidence > 0.8
    assert abs(m.bpm - bpm) <= 0.04 * bpm
    assert m.bpm_source == "audio"
    assert m.key is None and m.root is None  # drums get no key
    assert any("percussive" in note for note in m.notes)


def test_slow_loop_keeps_the_other_octave_as_the_alternative():
    m = facts(gen.click_track(70))
    assert 70 in (round(m.bpm), round(m.bpm_alternative))
    assert 70 <= m.bpm <= 180


@pytest.mark.parametrize("tonic, minor", [(0, False), (9, True), (2, True), (7, False), (6, True), (10, False)])
def test_chord_loops_are_found_in_their_key(tonic, minor):
    m = facts(gen.chord_loop(48 + tonic, minor, bpm=96))
    assert m.kind == "loop"
    assert key_name(m.key) == key_name(tonic + 12 * minor)
    assert abs(m.bpm - 96) <= 0.04 * 96


@pytest.mark.parametrize("midi, name", [(28, "E1"), (36, "C2"), (49, "C#3"), (57, "A3"), (72, "C5")])
def test_tonal_one_shots_get_their_root_note(midi, name):
    m = facts(gen.tone(midi, seconds=0.8))
    assert m.kind == "one-shot"
    assert m.root_name == name and m.root_confidence > 0.5
    assert m.bpm is None and m.key is None


def test_long_cymbal_is_a_one_shot_without_a_note():
    m = facts(gen.cymbal(seconds=4.0))
    assert m.kind == "one-shot"
    assert m.root is None and m.bpm is None


def test_kick_is_a_one_shot_without_a_note():
    m = facts(gen._kick(RATE))
    assert m.kind == "one-shot" and m.root is None
    assert any("root unknown" in note for note in m.notes)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: np.zeros(3 * RATE, dtype=np.float32), "silent"),
        (lambda: np.ones(1, dtype=np.float32), "too short"),
        (lambda: gen.noise(5.0), "steady sound"),
        (lambda: gen.clicks(3.0), "without a steady beat"),
    ],
)
def test_bad_input_is_unknown_with_a_reason(make, reason):
    m = facts(make())
    assert m.kind is None and m.bpm is None and m.key is None and m.root is None
    assert any(reason in note for note in m.notes), m.notes


def test_two_hour_recording_is_judged_on_its_first_window_only():
    loop = gen.click_track(120, bars=8)
    long = np.tile(loop, 8)  # 2 minutes stand in for 2 hours: the analysis only sees the window
    m = analyse(long, RATE, 7200.0, "set.wav")
    assert m.kind == "loop" and abs(m.bpm - 120) <= 0.04 * 120


def test_name_tempo_wins_over_audio_and_says_so():
    m = facts(gen.click_track(100), "Loops/beat_120bpm.wav")
    assert m.bpm == 120 and m.bpm_source == "name"
    assert any("name says 120" in note and "name used" in note for note in m.notes)


def test_name_tempo_agreeing_at_half_time_is_kept():
    m = facts(gen.click_track(120), "beat_60bpm.wav")
    assert m.bpm == 60 and m.bpm_alternative == 120 and not [n for n in m.notes if n.startswith("tempo")]


def test_absurd_name_tempo_is_rejected_and_audio_used():
    m = facts(gen.click_track(100), "beat_999bpm.wav")
    assert abs(m.bpm - 100) <= 4 and m.bpm_source == "audio"
    assert any("999" in note for note in m.notes)


def test_weak_name_key_loses_to_a_clear_audio_key():
    m = facts(gen.chord_loop(48, False, bpm=96), "loop_e_96.wav")  # a lone "e": a weak hint
    assert key_name(m.key) == "C" and m.key_source == "audio"
    assert any("audio used" in note for note in m.notes)


def test_strong_name_key_wins_and_says_so():
    m = facts(gen.chord_loop(48, False, bpm=96), "loop_96_Em.wav")
    assert key_name(m.key) == "Em" and m.key_source == "name"
    assert any("name says Em" in note for note in m.notes)


def test_name_says_loop_decides_a_steady_texture():
    texture = gen.noise(6.0)
    assert facts(texture).kind is None
    assert facts(texture, "fx/vinyl_loop.wav").kind == "loop"


def test_a_held_note_is_a_one_shot_with_its_root_unless_named_a_loop():
    drone = gen.tone(45, seconds=6.0, decay=100.0)
    held = facts(drone)
    assert held.kind == "one-shot" and held.root_name == "A2"
    assert facts(drone, "pads/drone_loop.wav").kind == "loop"


def test_other_sample_rates_and_stereo_input_do_not_matter():
    x = gen.click_track(128, rate=22050)
    assert abs(facts(x, rate=22050).bpm - 128) <= 0.04 * 128


def test_key_parsing_and_compatible_keys():
    assert [key_name(parse_key(t)) for t in ("Am", "A minor", "F#min", "Bb", "c#m", "Cmaj")] == [
        "Am",
        "Am",
        "F#m",
        "A#",
        "C#m",
        "C",
    ]
    assert parse_key("H") is None and parse_key("kick") is None
    assert {key_name(k) for k in compatible_keys(parse_key("Am"))} == {"Am", "C", "Em", "Dm"}


def test_the_numpy_running_median_equals_scipy_ndimage_nearest():
    """The key's harmonic/percussive split no longer imports scipy.ndimage; its values must not move."""
    from scipy.ndimage import median_filter as scipy_median

    from soundalike.engine.musical.tonality import median_filter

    rng = np.random.default_rng(16)
    for shape in ((86, 760), (5, 3), (1, 40), (40, 1)):
        spec = np.abs(rng.standard_normal(shape)).astype(np.float32)
        assert np.array_equal(median_filter(spec, 9, axis=0), scipy_median(spec, size=(9, 1), mode="nearest"))
        assert np.array_equal(median_filter(spec, 17, axis=1), scipy_median(spec, size=(1, 17), mode="nearest"))
        assert median_filter(spec, 9, axis=0).dtype == np.float32


def _rattle(seconds: float, hits: int) -> np.ndarray:
    """A shaker or flam one-shot: a few noise bursts inside ``seconds``."""
    rng = np.random.default_rng(3)
    out = np.zeros(int(seconds * RATE), np.float32)
    t = np.arange(int(0.08 * RATE)) / RATE
    for i in range(hits):
        burst = (0.5 * rng.standard_normal(t.size) * np.exp(-t / 0.02)).astype(np.float32)
        start = int(i * seconds / hits * RATE)
        out[start : start + burst.size] += burst[: out.size - start]
    return out


@pytest.mark.parametrize("seconds,hits", [(0.31, 3), (0.8, 4), (1.2, 5), (1.53, 6)])
def test_a_loops_folder_does_not_make_a_short_one_shot_a_loop(seconds, hits):
    x = _rattle(seconds, hits)
    m = analyse(x, RATE, x.size / RATE, "/lib/Drum Loops/Kit A/shaker_01.wav", "/lib")
    assert m.kind != "loop"
    assert any("folder 'Drum Loops' says loop" in note for note in m.notes)


def test_every_verdict_says_why():
    cases = [
        (gen.click_track(120), "", "loop:"),
        (_rattle(0.5, 2), "", "one-shot:"),
        (gen.tone(45, seconds=6.0, decay=100.0), "", "one-shot:"),
        (gen.noise(6.0), "", "kind unknown:"),
        (gen.noise(6.0), "fx/vinyl_loop.wav", "loop:"),
        (gen.cymbal(), "", "one-shot:"),
    ]
    for x, name, reason in cases:
        m = facts(x, name)
        assert any(note.startswith(reason) for note in m.notes), (name, m)
    assert any("file name says loop" in note for note in facts(gen.noise(6.0), "fx/vinyl_loop.wav").notes)
