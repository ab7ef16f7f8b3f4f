"""Chords of tonal one-shots: from the audio (numpy-synthesised chords, struck and strummed), from
names like a pack's, the two weighed against each other, and stored through the real library."""

from __future__ import annotations

import numpy as np
import pytest

from soundalike.cli import main
from soundalike.engine.musical.analysis import analyse
from soundalike.engine.musical.chords import QUALITIES, estimate_chord
from soundalike.engine.musical.keys import NOTE_NAMES
from soundalike.engine.musical.names import read_chord
from soundalike.engine.musical.signal import to_analysis_rate
from tests.conftest import write
from tests.engine.musical import audio as gen

RATE = gen.RATE


def chord(root_midi: int, quality: str, strum: float = 0.0, seconds: float = 2.5, bass: bool = True) -> np.ndarray:
    """A chord one-shot of harmonic tones: the root an octave below (``bass``), the chord above, each
    note starting ``strum`` seconds after the one below, all dying away together."""
    notes = [root_midi + i for i in QUALITIES[quality]]
    if bass:
        notes = [root_midi - 12, *notes]
    out = np.zeros(int(seconds * RATE), np.float32)
    for i, midi in enumerate(notes):
        start = int(i * strum * RATE)
        t = np.arange(out.size - start) / RATE
        env = np.minimum(1.0, t / 0.004) * np.exp(-t / 0.9)
        out[start:] += (0.12 * gen._harmonic_tone(gen.midi_hz(midi), t) * env).astype(np.float32)
    return out


def facts(x: np.ndarray, name: str = ""):
    return analyse(x, RATE, x.size / RATE, name)


@pytest.mark.parametrize("root", [48, 52, 57, 61])  # C, E, A, C#
@pytest.mark.parametrize("quality", ["", "m", "7", "m7"])
@pytest.mark.parametrize("strum", [0.0, 0.02])
def test_a_chord_one_shot_gets_its_chord_and_key_from_the_audio(root, quality, strum):
    m = facts(chord(root, quality, strum))
    name = NOTE_NAMES[root % 12] + quality
    assert m.kind == "one-shot" and m.chord == name and m.key_source == "audio"
    assert m.key == root % 12 + (12 if quality in ("m", "m7") else 0)
    assert m.root is not None and m.root % 12 == root % 12


def test_a_single_note_is_no_chord_and_keeps_its_root():
    m = facts(gen.tone(45, seconds=1.5))
    assert m.chord is None and m.root_name == "A2"
    assert estimate_chord(to_analysis_rate(gen.tone(45, seconds=1.5), RATE, 30)).reason.startswith("one note")


def test_noise_and_drums_get_no_chord():
    from soundalike.engine.tools.demo import render

    metal = [render(instrument, seed) for instrument in ("open hat", "cymbal") for seed in (1, 8, 15, 22)]
    for x in (gen.cymbal(), gen.noise(1.0), gen._kick(RATE), *metal):  # no drum tags: the audio alone
        assert facts(x).chord is None


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Amajor_UP_00", (9, "")),
        ("Csharp minor_02", (1, "m")),
        ("Bflat major_DOWN_01", (10, "")),
        ("Cm7", (0, "m7")),
        ("F#min", (6, "m")),
        ("pad_Ebmaj7_03", (3, "maj7")),
        ("Gm_stab", (7, "m")),
        ("A minor", (9, "m")),
        ("D7_chord", (2, "7")),
        ("E_piano_01", None),
        ("a_kick", None),
        ("Piano_A7", None),
        ("snare_b", None),
    ],
)
def test_chord_names_are_read(name, expected):
    assert read_chord(name)[0] == expected


def test_the_name_wins_when_it_spells_a_chord_and_says_so():
    m = facts(chord(48, ""), "Csharp minor_02.wav")  # mislabelled: the audio is C major
    assert m.chord == "C#m" and m.key_source == "name"
    assert any("name says C#m, audio C: name used" in note for note in m.notes)
    agreed = facts(chord(48, "m"), "Cminor_DOWN_00.wav")
    assert agreed.chord == "Cm" and agreed.key_confidence >= 0.9 and not any("chord" in n for n in agreed.notes)


def test_a_name_gives_a_chord_where_the_audio_has_none():
    m = facts(gen.tone(45, seconds=1.5), "Aminor_UP_00.wav")  # one note: the audio holds no chord
    assert m.chord == "Am" and m.key_source == "name"
    assert any("audio has none" in note for note in m.notes)


def test_chords_are_stored_and_shown(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))
    folder = tmp_path / "Chords"
    write(folder / "stab_01.wav", chord(57, "m7"), RATE)
    write(folder / "stab_02.wav", chord(45, "m", strum=0.02), RATE)
    write(folder / "stab_03.wav", chord(48, ""), RATE)
    data = str(tmp_path / "lib")
    assert main(["--data-dir", data, "index", str(folder)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", data, "musical", str(folder / "stab_01.wav")]) == 0
    assert capsys.readouterr().out.startswith("one-shot chord Am7")
    assert main(["--data-dir", data, "similar", str(folder / "stab_01.wav"), "--key", "Am", "--json"]) == 0
    out = capsys.readouterr().out
    assert "stab_02.wav" in out and "stab_03.wav" not in out
