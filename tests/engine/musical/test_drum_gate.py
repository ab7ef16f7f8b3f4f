"""Drums get no root note: the built-in backend's tags spare drum one-shots the pitch
search at index time, while loops, tonal one-shots and files whose name says anything musical are
analysed as before."""

from __future__ import annotations

import pytest

from soundalike.engine.library.facade import Library
from soundalike.engine.library.parts import LibraryParts
from soundalike.engine.musical.analysis import analyse
from soundalike.engine.musical.drums import MIN_DRUM_SHARE, drum_reason
from soundalike.engine.tools.demo import render
from tests.conftest import write
from tests.engine.musical import audio as gen

RATE = gen.RATE
DRUM = "drum (built-in tags: tom 1.00, drums 1.00)"


def gated(facts) -> bool:
    return any("drums get none" in note for note in facts.notes)


def test_drum_reason_reads_the_builtin_tags_only():
    assert drum_reason({"builtin": {"tom": 0.95, "kick": 0.049, "other": 0.001}}).startswith("drum (built-in tags: tom")
    assert drum_reason({"builtin": {"bell": 0.9, "rim": 0.1}}) is None  # cowbells keep their note
    assert drum_reason({"builtin": {"kick": MIN_DRUM_SHARE - 0.02, "other": 1.02 - MIN_DRUM_SHARE}}) is None
    assert drum_reason({"clap": {"kick": 1.0}}) is None and drum_reason({}) is None and drum_reason(None) is None


def test_a_drum_one_shot_gets_no_root_and_says_why():
    bass = gen.tone(43, seconds=0.7)  # pitched: without the gate it gets G2
    assert analyse(bass, RATE, 0.7, "/lib/Drums/hit.wav", "/lib").root_name == "G2"
    facts = analyse(bass, RATE, 0.7, "/lib/Drums/hit.wav", "/lib", drum=DRUM)
    assert facts.kind == "one-shot" and facts.root is None and facts.key is None and facts.bpm is None
    assert f"root unknown: {DRUM}, drums get none" in facts.notes


@pytest.mark.parametrize(
    "name",
    [
        "hit_G2.wav",
        "hit_Gm.wav",
        "hit_120bpm.wav",
        "bass_hit.wav",
        "Loops/take_01.wav",
        "Bass/hit.wav",
        "hit_loop.wav",
        "violin_pizzicato01.wav",
        "synth_acid02.wav",
    ],
)
def test_a_name_that_says_anything_musical_turns_the_gate_off(name):
    facts = analyse(gen.tone(43, seconds=0.7), RATE, 0.7, f"/lib/{name}", "/lib", drum=DRUM)
    assert not gated(facts)
    assert facts.root_name == "G2" or facts.kind == "loop"


def test_a_drum_loop_is_still_a_loop():
    loop = gen.click_track(120, bars=2)
    facts = analyse(loop, RATE, loop.size / RATE, "/lib/pattern.wav", "/lib", drum=DRUM)
    assert facts.kind == "loop" and abs(facts.bpm - 120) < 2 and not gated(facts)


@pytest.fixture
def indexed(make_settings, tmp_path):
    root = tmp_path / "Samples"
    write(root / "Drums" / "tom.wav", render("tom", seed=3))
    write(root / "Drums" / "kick.wav", render("kick", seed=3))
    write(root / "Drums" / "hit_43.wav", gen.tone(43, seconds=0.7))  # the built-in tags call it a hand drum
    write(root / "Drums" / "pattern.wav", gen.click_track(120, bars=2))
    write(root / "Bass" / "bass_43.wav", gen.tone(43, seconds=0.7))  # the same sound, named as a bass
    write(root / "Sounds" / "hit_60.wav", gen.tone(60, seconds=0.7))
    write(root / "Sounds" / "tom_C3.wav", gen.tone(48, seconds=0.7))  # a note in the name
    write(root / "Loops" / "groove.wav", gen.chord_loop(57, True, bpm=120, bars=2))
    with Library(make_settings(backends=("builtin",), default="builtin")) as library:
        library.scan([str(root)])
        rows = {
            path.relative_to(root).as_posix(): library.browse.sample_by_path(path).id for path in root.rglob("*.wav")
        }
        facts = library.browse.musical(rows.values())
        yield {name: facts[sid] for name, sid in rows.items()}


def test_index_gives_drums_no_root_and_keeps_tonal_and_loop_facts(indexed):
    for name in ("Drums/tom.wav", "Drums/kick.wav", "Drums/hit_43.wav"):
        facts = indexed[name]
        assert facts.kind == "one-shot" and facts.root is None and facts.key is None and gated(facts), name
    pattern = indexed["Drums/pattern.wav"]
    assert pattern.kind == "loop" and abs(pattern.bpm - 120) < 2
    assert indexed["Bass/bass_43.wav"].root_name == "G2" and not gated(indexed["Bass/bass_43.wav"])
    assert indexed["Sounds/hit_60.wav"].root_name == "C4" and not gated(indexed["Sounds/hit_60.wav"])
    assert indexed["Sounds/tom_C3.wav"].root_name == "C3"
    groove = indexed["Loops/groove.wav"]
    assert groove.kind == "loop" and abs(groove.bpm - 120) < 2 and groove.key_name == "Am"


def test_an_existing_library_is_gated_from_its_stored_tags(make_settings, tmp_path):
    root = tmp_path / "Samples"
    tom, hit = write(root / "tom.wav", render("tom", seed=3)), write(root / "hit_43.wav", gen.tone(43, seconds=0.7))
    key = write(root / "hit_60.wav", gen.tone(60, seconds=0.7))
    settings = {"backends": ("builtin",), "default": "builtin"}
    with Library(make_settings(**settings, musical=False)) as library:
        library.scan([str(root)])
    parts = LibraryParts.open(make_settings(**settings))
    with Library(parts.settings, parts=parts) as library:
        plan = parts.scanner.plan(str(root), str(root), forced=False)
        assert {job.backends for job in plan.jobs} == {()} and all("builtin" in job.tags for job in plan.jobs)
        assert library.scan().indexed == 3  # decode-only jobs: the stored tags tell the drums
        facts = {
            path.name: library.browse.musical([library.browse.sample_by_path(path).id]).popitem()[1]
            for path in (tom, hit, key)
        }
    assert gated(facts["tom.wav"]) and gated(facts["hit_43.wav"]) and facts["hit_43.wav"].root is None
    assert facts["hit_60.wav"].root_name == "C4" and not gated(facts["hit_60.wav"])
