"""Copies and velocity layers, decided when files are indexed and kept as groups in the catalog.

Two samples are related when

- **copies**: the same bytes, or vectors of the default backend at least ``COPY_MIN_COSINE`` apart
  whose fine fingerprints agree (:mod:`soundalike.engine.pipeline.fingerprint`: other format,
  rate, gain or trim);
- **velocity layers**: two files of one folder whose names differ only by a velocity word or mark
  ("Snare-Soft", "Snare-Hard", "kick_v3"), or only by numbers ("Snare-0" ... "Snare-4", "01.wav")
  when the audio says they are the same hit at other levels (fingerprints within ``LAYER_MAX_DB``,
  vectors at least ``LAYER_MIN_COSINE`` alike, levels at least ``LAYER_MIN_LEVEL_DB`` apart:
  numbered files of one folder are as often different drums, or takes at one level, as layers,
  so this errs on the side of keeping them apart).

Related samples share labels in the catalog (:mod:`soundalike.engine.store.sounds`): a copy group
(copies) and a family (copies and layers). A file that arrives is compared with a bounded set of
candidates (its nearest vectors, same bytes, same layer name) and joins their groups; a file that
leaves (deleted, missing, changed, moved) has its family worked out again from the stored facts.
Nothing here decodes audio: the fingerprints come from the ingest workers.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from soundalike.engine.pipeline.fingerprint import Fingerprint, decode, distance, is_duplicate
from soundalike.engine.store.index import VectorIndex
from soundalike.engine.store.interface import SoundReads, Store, Transaction

log = logging.getLogger(__name__)

#: Candidate copies: stored vectors at least this close (then the fingerprints decide).
COPY_MIN_COSINE = 0.97
#: Copies longer than this must last as long as each other, within this share.
LONG_SECONDS, LONG_TOLERANCE = 1.5, 0.01
#: Numbered layers of one folder by sound: vectors at least this close and fingerprints within
#: LAYER_MAX_DB dB. Measured on the dev kits: no numbered pair of distinct drums (LMMS's
#: snare01..07, tom01..05, kick01..04; 808 snares 1 and 2) came within 2.2 dB and 0.90.
LAYER_MIN_COSINE = 0.90
LAYER_MAX_DB = 2.0
#: ... and RMS levels at least this far apart (takes at one level are not velocity layers), both
#: one-shots no longer than this (loops numbered 1, 2, 3 are other loops, not layers).
LAYER_MIN_LEVEL_DB = 1.0
LAYER_MAX_SECONDS = 3.0
#: Nearest vectors looked at per new file, and at most this many candidates of each other kind.
NEIGHBOURS = 8
MAX_CANDIDATES = 64
#: A family is worked out again pairwise only up to this size (larger: labels are kept as they are).
REGROUP_MAX = 256
#: A name part that says which velocity layer a file is (whole words, case-insensitive).
VELOCITY_WORD = re.compile(
    r"(?<![a-z0-9])(softest|soft|soft\d|med|medium|mid|hard|hardest|hard\d|loud|loudest|quiet|ghost|accent"
    r"|pp+|p|mp|mf|f|ff+|v\d{1,3}|vel\d{0,3}|velocity\d{0,3}|layer\d{1,2}|lyr\d{1,2})(?![a-z0-9])"
)


def layer_key(path: str) -> tuple[str, str] | None:
    """(folder, name without velocity marks) when the file name carries a velocity mark, else None."""
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    stripped = VELOCITY_WORD.sub("", stem)
    if stripped == stem:
        return None
    return os.path.dirname(path), re.sub(r"[\s_\-.]+", " ", stripped).strip()


def layer_name(path: str) -> str:
    """What two candidate layers share: the folder and the name without velocity marks or numbers."""
    stem = VELOCITY_WORD.sub("", os.path.splitext(os.path.basename(path))[0].lower())
    return os.path.dirname(path) + "\0" + re.sub(r"[\s_\-.\d]+", " ", stem).strip()


@dataclass(frozen=True)
class Member:
    """What deciding a relation needs of one sample, all of it stored."""

    id: int
    path: str
    content_hash: str | None
    encoded: bytes | None  # the stored fingerprint (engine.pipeline.fingerprint.encode), decoded when asked
    vector: np.ndarray | None
    level: float | None = None  # RMS dBFS
    seconds: float | None = None

    @cached_property
    def fingerprint(self) -> Fingerprint | None:
        return decode(self.encoded) if self.encoded else None

    @cached_property
    def norm(self) -> np.floating:
        """The vector's length, in its own precision (the cosine multiplies two of them as it always did)."""
        return np.linalg.norm(self.vector) if self.vector is not None else np.float32(0)

    @cached_property
    def folder(self) -> str:
        return os.path.dirname(self.path)

    @cached_property
    def velocity_key(self) -> tuple[str, str] | None:
        return layer_key(self.path)

    @cached_property
    def name_key(self) -> str:
        return layer_name(self.path)


def relation(a: Member, b: Member) -> str | None:
    """'copy', 'layer' or None. The cheap tests come first: most candidates are neither, and their
    fingerprints are then never decoded."""
    if a.content_hash and a.content_hash == b.content_hash:
        return "copy"
    cosine = None
    if a.vector is not None and b.vector is not None:
        cosine = float(a.vector @ b.vector / max(float(a.norm * b.norm), 1e-12))
    if cosine is not None and cosine >= COPY_MIN_COSINE and same_length(a, b):
        fa, fb = a.fingerprint, b.fingerprint
        if fa is not None and fb is not None and is_duplicate(fa, fb):
            return "copy"
    if a.folder != b.folder:
        return None
    if a.velocity_key is not None and a.velocity_key == b.velocity_key:
        return "layer"
    if (
        cosine is not None
        and cosine >= LAYER_MIN_COSINE
        and a.level is not None
        and b.level is not None
        and abs(a.level - b.level) >= LAYER_MIN_LEVEL_DB
        and max(a.seconds or 0.0, b.seconds or 0.0) <= LAYER_MAX_SECONDS
        and a.name_key == b.name_key
        and (fa := a.fingerprint) is not None
        and (fb := b.fingerprint) is not None
        and distance(fa, fb) <= LAYER_MAX_DB
    ):
        return "layer"
    return None


def same_length(a: Member, b: Member) -> bool:
    """The fingerprint sees a sound's first second: two sounds longer than LONG_SECONDS (loops,
    takes) must also last as long (within LONG_TOLERANCE) to be copies; a copy keeps its length."""
    if a.seconds is None or b.seconds is None or min(a.seconds, b.seconds) <= LONG_SECONDS:
        return True
    return abs(a.seconds - b.seconds) <= LONG_TOLERANCE * max(a.seconds, b.seconds)


def group_pairs(pairs: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected groups of ids from related pairs (union-find), each sorted, by first id."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


class Families:
    """Keeps the catalog's copy groups and families current; called by the library's writer
    (which holds the library lock) after each change to the catalog and the indexes."""

    def __init__(self, catalog: Store, index: Callable[[], VectorIndex | None]):
        self._catalog = catalog
        self._index = index  # the default backend's index: candidate copies, cosines

    def record(self, tx: Transaction, sample_id: int, fingerprint: bytes | None, path: str) -> None:
        """Inside the writer's transaction: a sample recorded ok starts alone."""
        tx.put_sound(sample_id, fingerprint, layer_name(path))

    def labels_of(self, ids: Sequence[int]) -> set[int]:
        """The families ``ids`` are in now (call before changing them, then :meth:`regroup`)."""
        return {family for _, family in self._catalog.sound_labels(ids).values()}

    def joined(self, ids: Sequence[int]) -> None:
        """Samples just recorded or back: link each to its candidates, merging groups (the
        candidates of the whole batch are read at once)."""
        ids = list(ids)
        if not ids:
            return
        index = self._index()
        members = self._members(ids, index)
        candidates = self._candidates(ids, members, index)
        wanted = {c for found in candidates.values() for c in found} - set(members)
        everyone = {**members, **self._members(sorted(wanted), index)}
        with self._catalog.transaction() as tx:
            for sid in ids:
                if sid in members:
                    related = {
                        other: kind
                        for other in candidates.get(sid, ())
                        if other in everyone and (kind := relation(members[sid], everyone[other]))
                    }
                    if related:
                        self._merge(tx, sid, related)

    def _candidates(self, ids: list[int], members: dict[int, Member], index: VectorIndex | None) -> dict[int, set[int]]:
        """Each new member's candidates: nearest vectors, the same bytes, the same layer name."""
        found = {sid: set(near) for sid, near in self._neighbours(ids, members, index).items()}
        same_bytes = self._catalog.with_contents(
            {m.content_hash for m in members.values() if m.content_hash}, MAX_CANDIDATES
        )
        same_name = self._catalog.with_layer_names({m.name_key for m in members.values()}, MAX_CANDIDATES)
        for sid, member in members.items():
            mine = found.setdefault(sid, set())
            mine.update(same_bytes.get(member.content_hash or "", ()))
            mine.update(same_name.get(member.name_key, ()))
            mine.discard(sid)
        return found

    def regroup(self, families: Iterable[int]) -> None:
        """Work the families labelled ``families`` out again from their members' stored facts."""
        sizes = self._catalog.family_sizes(set(families))
        families = {family for family, size in sizes.items() if size > 1}  # one alone keeps its own label
        if not families:
            return
        index = self._index()
        with self._catalog.transaction() as tx:
            for family in families:
                ids = tx.labelled(family, REGROUP_MAX + 1)
                if len(ids) > REGROUP_MAX:
                    log.info("family %d has over %d members: its labels are kept", family, REGROUP_MAX)
                    continue
                tx.set_labels([(sid, sid, sid) for sid in ids])
                members = self._members(ids, index, tx)
                pairs = [
                    (a.id, b.id, kind)
                    for n, a in enumerate(members.values())
                    for b in list(members.values())[n + 1 :]
                    if (kind := relation(a, b))
                ]
                tx.set_labels(_labels(members, pairs))

    def left(self, ids: Sequence[int]) -> None:
        """Samples gone missing, offline or failed: their families again, without them."""
        self.regroup(self.labels_of(ids))

    def moved(self, ids: Sequence[int]) -> None:
        """Samples whose path changed (renamed, moved, adopted by a copy): new candidate layers."""
        ids = list(ids)
        if not ids:
            return
        families = self.labels_of(ids)
        with self._catalog.transaction() as tx:
            for sid, row in self._catalog.samples(ids).items():
                tx.set_layer_name(sid, layer_name(row.path))
        self.regroup(families)
        self.joined(ids)

    # --- helpers -----------------------------------------------------------------------------
    def _members(
        self, ids: Sequence[int], index: VectorIndex | None, conn: SoundReads | None = None
    ) -> dict[int, Member]:
        conn = conn if conn is not None else self._catalog
        facts = conn.sound_facts(ids)
        rows = self._catalog.samples(facts)
        return {
            sid: Member(
                sid,
                rows[sid].path,
                rows[sid].content_hash,
                f.fingerprint,
                index.reconstruct(sid) if index is not None else None,
                rows[sid].rms_db,
                rows[sid].duration,
            )
            for sid, f in facts.items()
            if sid in rows
        }

    @staticmethod
    def _neighbours(ids: list[int], members: dict[int, Member], index: VectorIndex | None) -> dict[int, list[int]]:
        """Each member's nearest stored vectors at least COPY_MIN_COSINE alike (one batched search)."""
        with_vector = [sid for sid in ids if sid in members and members[sid].vector is not None]
        if index is None or not with_vector or len(index) < 2:
            return {}
        matrix = np.stack([v for sid in with_vector if (v := members[sid].vector) is not None]).astype(np.float32)
        scores, found = index.neighbours(matrix, NEIGHBOURS + 1)  # scores approximate: relation() decides
        return {
            sid: [
                int(other)
                for other, score in zip(found[row], scores[row])
                if other >= 0 and other != sid and score >= COPY_MIN_COSINE - 0.02
            ]
            for row, sid in enumerate(with_vector)
        }

    @staticmethod
    def _merge(tx: Transaction, sid: int, related: dict[int, str]) -> None:
        current = tx.sound_labels([sid, *related])
        copies = {current[s][0] for s in [sid, *(s for s, kind in related.items() if kind == "copy")] if s in current}
        families = {current[s][1] for s in [sid, *related] if s in current}
        if len(copies) > 1:
            tx.relabel("copy_group", copies, min(copies))
        if len(families) > 1:
            tx.relabel("family", families, min(families))


def _labels(members: dict[int, Member], pairs: list[tuple[int, int, str]]) -> list[tuple[int, int, int]]:
    """(id, copy group, family) for every member, from its related pairs."""
    copy_of = {
        sid: group[0] for group in group_pairs((a, b) for a, b, kind in pairs if kind == "copy") for sid in group
    }
    family_of = {sid: group[0] for group in group_pairs((a, b) for a, b, _ in pairs) for sid in group}
    return [(sid, copy_of.get(sid, sid), family_of.get(sid, sid)) for sid in members]
