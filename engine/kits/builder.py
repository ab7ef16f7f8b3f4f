"""Build a drum kit around one sound: one sample per slot, of the right kind, close in character.

The kind comes from the tags (each sample's best tag, :mod:`soundalike.engine.kits.slots` maps tags to
slots); "close in character" is the similarity of the aspects that describe how a sound was
recorded and processed rather than what drum it is: for the built-in backend its timbre and
envelope blocks, not its class posterior. Backends with one undivided vector use all of it.

A :class:`Kit` is plain data: per slot, the ranked alternatives, which one is chosen and whether
it is locked. Cycling, locking and rerolling change only that, so the TUI, the CLI and the bridge
share it and a kit can be shown, changed and exported without touching the index again.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf

from soundalike.engine.errors import QueryError
from soundalike.engine.kits.slots import SLOTS, TOMS, Slot, name_fit, slot_named, slot_of_tag
from soundalike.engine.library.queries import Hit
from soundalike.engine.store.filters import Filters

log = logging.getLogger(__name__)

#: Aspect weights for "same character" (used where the backend has these aspects).
CHARACTER_WEIGHTS = {"timbre": 1.0, "envelope": 0.5}
DEFAULT_ALTERNATIVES = 8


@dataclass(frozen=True)
class Kinds:
    """Each sample's best tag, and the samples of each tag."""

    best: dict[int, str]
    by_tag: dict[str, np.ndarray]  # tag -> ids (int64), in the order ``best`` holds them

    @classmethod
    def of(cls, best: dict[int, str]) -> Kinds:
        """(grouped with numpy: a million samples' tags in a fraction of a second)"""
        ids = np.fromiter(best.keys(), np.int64, len(best))
        codes: dict[str, int] = {}
        which = np.fromiter((codes.setdefault(tag, len(codes)) for tag in best.values()), np.int32, len(best))
        return cls(best, {tag: ids[which == code] for tag, code in codes.items()})


@dataclass
class SlotChoice:
    slot: Slot
    choices: list[Hit]  # alternatives, best first
    index: int = 0
    locked: bool = False
    tags: dict[int, str] = field(default_factory=dict)  # sample id -> the tag that put it here
    seeded: bool = False  # the kit's seed leads this slot: a reroll keeps it

    @property
    def pick(self) -> Hit | None:
        return self.choices[self.index] if self.choices else None


@dataclass
class Kit:
    seed: str
    backend: str
    slots: list[SlotChoice]

    def slot(self, name: str) -> SlotChoice:
        wanted = slot_named(name).name
        return next(choice for choice in self.slots if choice.slot.name == wanted)

    def cycle(self, name: str, step: int = 1) -> Hit | None:
        """The next (or previous) alternative for a slot; a locked slot stays as it is."""
        choice = self.slot(name)
        if choice.choices and not choice.locked:
            choice.index = (choice.index + step) % len(choice.choices)
        return choice.pick

    def choose(self, name: str, index: int) -> Hit | None:
        choice = self.slot(name)
        if not 0 <= index < len(choice.choices):
            raise QueryError(f"{choice.slot.name} has {len(choice.choices)} alternatives; {index + 1} asked")
        choice.index = index
        return choice.pick

    def toggle_lock(self, name: str) -> bool:
        choice = self.slot(name)
        choice.locked = not choice.locked
        return choice.locked

    def reroll(self, rng: random.Random | None = None) -> None:
        """A random other alternative for every unlocked slot that has one; the seed keeps its slot."""
        rng = rng or random.Random()
        for choice in self.slots:
            if not choice.locked and not choice.seeded and len(choice.choices) > 1:
                choice.index = rng.choice([i for i in range(len(choice.choices)) if i != choice.index])

    def picks(self) -> list[tuple[Slot, Hit]]:
        return [(choice.slot, choice.pick) for choice in self.slots if choice.pick is not None]

    def empty_slots(self) -> list[str]:
        return [choice.slot.name for choice in self.slots if choice.pick is None]

    def as_json(self) -> dict:
        return {
            "seed": self.seed,
            "backend": self.backend,
            "slots": [_slot_json(c) for c in self.slots],
            "unfilled": self.empty_slots(),
        }


def _slot_json(choice: SlotChoice) -> dict:
    pick = choice.pick
    return {
        "slot": choice.slot.name,
        "note": choice.slot.note,
        "path": pick.path if pick else None,
        "score": round(pick.score, 6) if pick else None,
        "tag": choice.tags.get(pick.sample.id) if pick else None,
        "choice": choice.index + 1 if pick else 0,
        "choices": len(choice.choices),
        "locked": choice.locked,
        "alternatives": [hit.path for hit in choice.choices],
    }


class KitBuilder:
    """Builds kits from a library (anything with the Library query API)."""

    def __init__(
        self,
        library,
        backend: str | None = None,
        alternatives: int = DEFAULT_ALTERNATIVES,
        weights: Mapping[str, float] | None = None,
        filters: Filters | None = None,
        not_under: str | None = None,
    ):
        self.library = library
        self.not_under = not_under  # a folder none of the kit's sounds come from
        self.backend = backend or library.settings.engine.default_backend
        self.alternatives = max(1, alternatives)
        self.filters = filters
        embedder = library.embedder(self.backend)
        self.embedder = embedder
        self.weights = dict(weights) if weights else character_weights(embedder.aspects)

    def build(self, seed: str | os.PathLike | int | np.ndarray, sample_rate: int | None = None) -> Kit:
        vector, own_id = self.library.query_vector(seed, self.backend, sample_rate)
        query = self.embedder.query_vector(vector, self.weights)
        scale = self.embedder.score_scale(self.weights)
        kinds = self._best_tags()
        seed_slot = self._seed_slot(seed, own_id, kinds)
        taken: set[int] = set()
        slots = []
        for slot in SLOTS:
            if slot.name in TOMS:
                continue
            choice = self._fill(slot, query, scale, kinds, taken)
            if slot is seed_slot and own_id is not None:
                self._put_first(choice, own_id, kinds)
            if choice.pick is not None:
                taken.add(choice.pick.sample.id)
            slots.append(choice)
        slots[5:5] = self._toms(query, scale, kinds, taken)
        label = (
            seed
            if isinstance(seed, (str, os.PathLike))
            else (self.library.browse.sample(own_id).path if own_id is not None else "audio")
        )
        return Kit(os.fspath(label), self.backend, slots)

    # --- pools -----------------------------------------------------------------------------
    def _best_tags(self) -> Kinds:
        """Every ok sample's best tag (from any source), restricted to the builder's filters."""
        kinds = self.library.best_tags()
        if self.filters is not None and not self.filters.is_empty():
            allowed = set(self.library.browse.ids_matching(self.filters))
            kinds = {sid: tag for sid, tag in kinds.items() if sid in allowed}
        if self.not_under:
            refused = set(self.library.browse.ids_matching(Filters(under=self.not_under)))
            kinds = {sid: tag for sid, tag in kinds.items() if sid not in refused}
        return Kinds.of(kinds)

    @staticmethod
    def _pool(slot: Slot, kinds: Kinds, taken: set[int]) -> np.ndarray:
        for tags in (slot.tags, slot.fallback):
            found = [kinds.by_tag[tag] for tag in tags if tag in kinds.by_tag]
            pool = np.concatenate(found) if found else np.zeros(0, np.int64)
            pool = pool[~np.isin(pool, np.fromiter(taken, np.int64, len(taken)))] if taken else pool
            if len(pool):
                return pool
        return np.zeros(0, np.int64)

    def _search(self, query: np.ndarray, scale: float, ids: np.ndarray, k: int) -> list[Hit]:
        if not len(ids):
            return []
        found = self.library.index(self.backend).search(query, k, allowed=ids)
        rows = self.library.browse.samples(sid for sid, _ in found)
        # a cosine below zero means "nothing alike", not "less than nothing": shown as 0
        return [Hit(rows[sid], min(max(score / scale, 0.0), 1.0)) for sid, score in found if sid in rows]

    def _fill(self, slot: Slot, query, scale, kinds, taken) -> SlotChoice:
        pool = self._pool(slot, kinds, taken)
        hits = self._search(query, scale, pool, self.alternatives * 3 if slot.hints else self.alternatives)
        hits.sort(key=lambda hit: -name_fit(slot, hit.path))  # stable: by character within each fit
        hits = hits[: self.alternatives]
        return SlotChoice(slot, hits, tags={hit.sample.id: kinds.best[hit.sample.id] for hit in hits})

    def _toms(self, query, scale, kinds, taken) -> list[SlotChoice]:
        """Three toms, lowest pitched first; each slot's alternatives are the other toms found."""
        slots = [slot_named(name) for name in TOMS]
        hits = self._search(query, scale, self._pool(slots[0], kinds, taken), self.alternatives + 2)
        chosen = sorted(hits[:3], key=lambda hit: low_peak_hz(hit.path))
        out = []
        for slot, hit in zip(slots, chosen + [None] * (3 - len(chosen))):
            others = [h for h in hits if h not in chosen]
            choices = ([hit] if hit else []) + others[: self.alternatives - 1]
            out.append(SlotChoice(slot, choices, tags={h.sample.id: kinds.best[h.sample.id] for h in choices}))
        return out

    def _seed_slot(self, seed, own_id: int | None, kinds: Kinds) -> Slot | None:
        tag = kinds.best.get(own_id) if own_id is not None else None
        return slot_of_tag(tag) if tag else None

    def _put_first(self, choice: SlotChoice, own_id: int, kinds: Kinds) -> None:
        """The seed leads its own slot: a kit built around a kick uses that kick."""
        row = self.library.browse.sample(own_id)
        choice.choices = [Hit(row, 1.0)] + [h for h in choice.choices if h.sample.id != own_id][: self.alternatives - 1]
        choice.tags[own_id] = kinds.best.get(own_id, "")
        choice.index = 0
        choice.seeded = True


def character_weights(aspects: Mapping[str, slice]) -> dict[str, float] | None:
    """The character aspects this backend has; None (the whole vector) when it has none of them."""
    weights = {name: w for name, w in CHARACTER_WEIGHTS.items() if name in aspects}
    return weights or None


def low_peak_hz(path: str, seconds: float = 0.3) -> float:
    """Strongest frequency between 40 Hz and 1 kHz in the first ``seconds``: a tom's pitch."""
    try:
        with sf.SoundFile(path) as sound:
            rate = sound.samplerate
            audio = sound.read(int(seconds * rate), dtype="float32", always_2d=True).mean(axis=1)
    except (sf.LibsndfileError, RuntimeError, OSError) as e:
        log.info("no pitch for %s: %s", path, e)
        return float("inf")
    if audio.size < 64:
        return float("inf")
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
    freqs = np.fft.rfftfreq(audio.size, 1.0 / rate)
    band = (freqs >= 40) & (freqs <= 1000)
    return float(freqs[band][np.argmax(spectrum[band])]) if band.any() else float("inf")
