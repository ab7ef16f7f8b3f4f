"""Building kits: the right kind per slot by tag, the seed leading its slot, toms by pitch, editing."""

from __future__ import annotations

import random

import pytest

from soundalike.engine.kits.builder import KitBuilder, character_weights
from soundalike.engine.kits.slots import SLOT_NAMES, slot_named, slot_of_tag


def test_every_slot_is_filled_with_its_own_kind(kit_library):
    library, root = kit_library
    seed = root / "Kit 0" / "Kick-Med.wav"
    kit = KitBuilder(library).build(str(seed))
    assert [c.slot.name for c in kit.slots] == list(SLOT_NAMES)
    assert kit.slot("kick").pick.path == str(seed)  # the seed leads its own slot
    filled = {c.slot.name: c for c in kit.slots if c.pick is not None}
    assert {"kick", "snare", "closed hat", "low tom", "mid tom", "high tom", "crash", "ride"} <= set(filled)
    for choice in filled.values():
        tag = choice.tags[choice.pick.sample.id]
        assert tag in choice.slot.tags + choice.slot.fallback, (choice.slot.name, choice.pick.path, tag)
    paths = [c.pick.path for c in filled.values()]
    assert len(paths) == len(set(paths)), "one sample fills one slot"


def test_cymbal_tags_go_to_crash_and_ride_by_name(kit_library):
    library, root = kit_library
    kit = KitBuilder(library).build(str(root / "Kit 1" / "Snare-1.wav"))
    assert "Crash" in kit.slot("crash").pick.path
    assert "Ride" in kit.slot("ride").pick.path


def test_toms_are_handed_out_lowest_first(kit_library):
    library, root = kit_library
    kit = KitBuilder(library).build(str(root / "Kit 0" / "Kick-Med.wav"))
    picks = [kit.slot(name).pick for name in ("low tom", "mid tom", "high tom")]
    assert all(picks)
    pitches = [int(p.path.rsplit("Tom", 1)[1].split(".")[0]) for p in picks]
    assert pitches == sorted(pitches), [p.path for p in picks]


def test_alternatives_are_ranked_by_character(kit_library):
    """Scores are weighted cosines of the character aspects, best first (name fit reorders cymbals)."""
    library, root = kit_library
    kit = KitBuilder(library).build(str(root / "Kit 1" / "Snare-1.wav"))
    scores = [c.pick.score for c in kit.slots if c.pick is not None]
    assert scores and all(0.0 <= s <= 1.0 for s in scores)  # no negative "alike": clipped at 0
    for choice in kit.slots:
        got = [hit.score for hit in choice.choices]
        assert got[1:] == sorted(got[1:], reverse=True) or choice.slot.name in ("crash", "ride")


def test_cycle_lock_and_reroll(kit_library):
    library, root = kit_library
    kit = KitBuilder(library, alternatives=4).build(str(root / "Kit 0" / "Kick-Med.wav"))
    snare = kit.slot("snare")
    assert len(snare.choices) >= 2
    first = snare.pick
    assert kit.cycle("snare") == snare.choices[1] and kit.cycle("snare", -1) == first
    assert kit.toggle_lock("snare") is True
    assert kit.cycle("snare") == first  # locked: stays
    before = {c.slot.name: c.index for c in kit.slots}
    kit.reroll(random.Random(3))
    assert kit.slot("snare").index == before["snare"]
    moved = [c.slot.name for c in kit.slots if c.index != before[c.slot.name]]
    assert moved and "snare" not in moved
    with pytest.raises(ValueError, match="alternatives"):
        kit.choose("snare", 99)
    with pytest.raises(ValueError, match="unknown kit slot"):
        kit.slot("cowbell solo")


def test_reroll_keeps_the_seed_in_its_slot(kit_library):
    library, root = kit_library
    seed = str(root / "Kit 0" / "Kick-Med.wav")
    kit = KitBuilder(library, alternatives=4).build(seed)
    assert len(kit.slot("kick").choices) >= 2
    for number in range(6):
        kit.reroll(random.Random(number))
        assert kit.slot("kick").pick.path == seed
    assert any(c.index for c in kit.slots)  # the others did move


def test_no_alike_score_is_negative(kit_library):
    library, root = kit_library
    kit = KitBuilder(library, alternatives=8).build(str(root / "Kit 1" / "HatOpen-1.wav"))
    scores = [hit.score for choice in kit.slots for hit in choice.choices]
    assert scores and min(scores) >= 0.0


def test_kit_json_lists_slots_with_notes(kit_library):
    library, root = kit_library
    data = KitBuilder(library).build(str(root / "Kit 0" / "Kick-Med.wav")).as_json()
    by_slot = {s["slot"]: s for s in data["slots"]}
    assert by_slot["kick"]["note"] == 36 and by_slot["snare"]["note"] == 38 and by_slot["ride"]["note"] == 51
    assert by_slot["kick"]["path"].endswith("Kick-Med.wav") and by_slot["kick"]["choice"] == 1


def test_slots_accept_old_and_new_tag_names():
    assert slot_of_tag("cymbal").name == "crash" and slot_of_tag("ride").name == "ride"
    assert slot_of_tag("cowbell").name == slot_of_tag("hand drum").name == slot_of_tag("percussion").name == "perc"
    assert slot_named("closed_hat").note == 42
    assert character_weights({"overall": slice(0, 1), "timbre": slice(1, 2)}) == {"timbre": 1.0}
    assert character_weights({}) is None
