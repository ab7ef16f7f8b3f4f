"""The slots of a drum kit: which tags may fill each one and the General MIDI note it plays on.

Slots name sets of tags, not one tag, so a backend that says "cymbal" and one that says "crash"
and "ride" both fill the cymbal slots, and "percussion", "cowbell", "bell" or "hand drum" all fill
the perc slot. ``fallback`` tags fill a slot only when no sample
carries one of its own tags: "cymbal" fills the crash and ride slots for a backend without those. ``hints`` are words in file names that break ties
among samples of a generic tag (a "cymbal" called ``Ride-3.wav`` goes to the ride slot).
"""

from __future__ import annotations

from dataclasses import dataclass

from soundalike.engine.errors import QueryError


@dataclass(frozen=True)
class Slot:
    name: str
    tags: tuple[str, ...]  # tags that fill it
    note: int  # General MIDI drum note (channel 10)
    fallback: tuple[str, ...] = ()  # tags that fill it only when no sample carries one of ``tags``
    hints: tuple[str, ...] = ()  # file-name words that make a generic-tag sample fit this slot better
    avoid: tuple[str, ...] = ()  # file-name words that make it fit worse


SLOTS: tuple[Slot, ...] = (
    Slot("kick", ("kick",), 36),
    Slot("snare", ("snare",), 38),
    Slot("clap", ("clap",), 39),
    Slot("closed hat", ("closed hat",), 42, ("hihat", "hat"), ("closed", "chh", "hhc"), ("open",)),
    Slot("open hat", ("open hat",), 46),
    Slot("low tom", ("tom", "floor tom"), 45),  # the three toms are handed out by pitch, lowest first
    Slot("mid tom", ("tom", "floor tom"), 47),
    Slot("high tom", ("tom", "floor tom"), 50),
    Slot("crash", ("crash",), 49, ("cymbal",), ("crash",), ("ride", "china", "splash", "bell")),
    Slot("ride", ("ride",), 51, ("cymbal",), ("ride",), ("crash", "china", "splash")),
    Slot("perc", ("percussion", "cowbell", "bell", "hand drum", "shaker", "rim", "tambourine"), 56),
)

SLOT_NAMES = tuple(slot.name for slot in SLOTS)
TOMS = ("low tom", "mid tom", "high tom")


def slot_named(name: str) -> Slot:
    for slot in SLOTS:
        if slot.name == name or slot.name.replace(" ", "_") == name or slot.name.replace(" ", "-") == name:
            return slot
    raise QueryError(f"unknown kit slot {name!r}; slots: {', '.join(SLOT_NAMES)}")


def slot_of_tag(tag: str) -> Slot | None:
    """The first slot a sample with this (best) tag belongs in, e.g. the seed's own slot."""
    return next((slot for slot in SLOTS if tag in slot.tags), None) or next(
        (slot for slot in SLOTS if tag in slot.fallback), None
    )


def name_fit(slot: Slot, path: str) -> int:
    """+1 when the file name carries one of the slot's hints, -1 for one it avoids, else 0."""
    stem = path.rsplit("/", 1)[-1].lower()
    if any(word in stem for word in slot.avoid):
        return -1
    return 1 if any(word in stem for word in slot.hints) else 0
