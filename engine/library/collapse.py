"""Fold copies and velocity layers in query results into one row each.

After a copied kit is dropped into a library, a snare's top ten can be six copies of the same
files, and a clap's top four gain-scaled copies at score 1.000. Results are grouped here:

- **copies**: the same bytes (content hash), or two hits whose stored vectors are nearly the same
  and whose fine fingerprints agree (``soundalike.engine.tools.duplicates``: other format, rate, gain or trim);
- **velocity layers**: files in one folder whose names differ only by a velocity word or mark
  ("Snare-Soft", "Snare-Hard", "snare_v3", "kick vel127").

Each group is shown by its best-scoring hit (``Group.lead``); the rest stay one keystroke away.
"""
from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from soundalike.engine.library.queries import Hit
from soundalike.engine.tools.duplicates import FingerprintCache, group_pairs, is_duplicate

log = logging.getLogger(__name__)

#: Two hits are candidate copies when their stored vectors are at least this close (then verified).
COPY_MIN_COSINE = 0.97
#: A name part that says which velocity layer a file is (whole words, case-insensitive).
VELOCITY_WORD = re.compile(
    r"(?<![a-z0-9])(softest|soft|soft\d|med|medium|mid|hard|hardest|hard\d|loud|loudest|quiet|ghost|accent"
    r"|pp+|p|mp|mf|f|ff+|v\d{1,3}|vel\d{0,3}|velocity\d{0,3}|layer\d{1,2}|lyr\d{1,2})(?![a-z0-9])")
#: How many hits a collapsed query reads per group it must show (copies and layers use the rest).
READ_PER_GROUP = 3
#: At most this many hits per group wanted (and at least READ_LIMIT_MIN) are read to fill the groups.
READ_LIMIT_PER_GROUP, READ_LIMIT_MIN = 40, 500


@dataclass(frozen=True)
class Group:
    """One row of collapsed results: the best hit, and the copies / layers folded under it."""

    lead: Hit
    copies: tuple[Hit, ...] = ()
    layers: tuple[Hit, ...] = ()

    @property
    def members(self) -> tuple[Hit, ...]:
        """Everything folded under the lead, best first."""
        return tuple(sorted(self.copies + self.layers, key=lambda h: -h.score))

    def summary(self) -> str:
        """"+2 copies, +3 layers" ("" for a group of one)."""
        parts = [f"+{len(self.copies)} cop{'y' if len(self.copies) == 1 else 'ies'}" if self.copies else "",
                 f"+{len(self.layers)} layer{'' if len(self.layers) == 1 else 's'}" if self.layers else ""]
        return ", ".join(p for p in parts if p)


def layer_key(path: str) -> tuple[str, str] | None:
    """(folder, name without velocity marks) when the file name carries a velocity mark, else None."""
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    stripped = VELOCITY_WORD.sub("", stem)
    if stripped == stem:
        return None
    return os.path.dirname(path), re.sub(r"[\s_\-.]+", " ", stripped).strip()


def collapse(hits: list[Hit], vector_of: Callable[[int], np.ndarray | None] | None = None,
             verify: Callable[[str, str], bool] | None = None) -> list[Group]:
    """Group ``hits`` (best first) into copies and velocity layers; groups keep the hits' order.

    ``vector_of``: a hit's stored vector (candidate copies); ``verify(path_a, path_b)``: whether two
    candidates really are copies (default: their fingerprints agree, decoding each file once).
    """
    verify = verify or _fingerprints_agree()
    copies = _copy_pairs(hits, vector_of, verify)
    layers = _layer_pairs(hits)
    by_id = {hit.sample.id: hit for hit in hits}
    rank = {hit.sample.id: number for number, hit in enumerate(hits)}
    grouped = group_pairs(copies + layers)
    member_of = {sid: tuple(group) for group in grouped for sid in group}
    out, seen = [], set()
    for hit in hits:
        group = member_of.get(hit.sample.id, (hit.sample.id,))
        if group in seen:
            continue
        seen.add(group)
        lead, *rest = sorted(group, key=rank.__getitem__)
        of_lead = _copies_of(lead, copies)  # copies of the lead itself; the rest are layers (or their copies)
        out.append(Group(by_id[lead], copies=tuple(by_id[s] for s in rest if s in of_lead),
                         layers=tuple(by_id[s] for s in rest if s not in of_lead)))
    return out


def _copies_of(sid: int, pairs: Iterable[tuple[int, int]]) -> set[int]:
    """Every id joined to ``sid`` through copy pairs."""
    linked = {sid}
    changed = True
    pairs = list(pairs)
    while changed:
        changed = False
        for a, b in pairs:
            if (a in linked) != (b in linked):
                linked |= {a, b}
                changed = True
    return linked - {sid}


def _copy_pairs(hits: list[Hit], vector_of, verify) -> list[tuple[int, int]]:
    pairs = []
    by_hash: dict[str, int] = {}
    for hit in hits:
        digest = hit.sample.content_hash
        if digest:
            if digest in by_hash:
                pairs.append((by_hash[digest], hit.sample.id))
            else:
                by_hash[digest] = hit.sample.id
    if vector_of is None or len(hits) < 2:
        return pairs
    vectors = [vector_of(hit.sample.id) for hit in hits]
    usable = [i for i, v in enumerate(vectors) if v is not None]
    if len(usable) < 2:
        return pairs
    matrix = np.stack([vectors[i] for i in usable]).astype(np.float32)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    close = np.argwhere(np.triu(matrix @ matrix.T, k=1) >= COPY_MIN_COSINE)
    known = {frozenset(p) for p in pairs}
    for a, b in close:
        ha, hb = hits[usable[a]], hits[usable[b]]
        if frozenset((ha.sample.id, hb.sample.id)) not in known and verify(ha.path, hb.path):
            pairs.append((ha.sample.id, hb.sample.id))
    return pairs


def _layer_pairs(hits: list[Hit]) -> list[tuple[int, int]]:
    first: dict[tuple[str, str], int] = {}
    pairs = []
    for hit in hits:
        key = layer_key(hit.path)
        if key is None:
            continue
        if key in first:
            pairs.append((first[key], hit.sample.id))
        else:
            first[key] = hit.sample.id
    return pairs


def _fingerprints_agree() -> Callable[[str, str], bool]:
    cache = FingerprintCache()

    def verify(a: str, b: str) -> bool:
        fa, fb = cache.get(a), cache.get(b)
        return fa is not None and fb is not None and is_duplicate(fa, fb)
    return verify


def collapsed_query(run: Callable[[int], list[Hit]], groups_wanted: int,
                    vector_of: Callable[[int], np.ndarray | None] | None = None,
                    limit: int = 100_000) -> list[Group]:
    """At least ``groups_wanted`` groups (fewer only when the library runs out) from ``run(k)``,
    a query for the best ``k`` hits: it reads more hits while copies and layers use them up."""
    k = max(groups_wanted * READ_PER_GROUP, groups_wanted + 10)
    verify = _fingerprints_agree()  # one cache across the rounds: each file decoded once
    while True:
        hits = run(k)
        groups = collapse(hits, vector_of, verify)
        if len(groups) >= groups_wanted or len(hits) < k or k >= limit:
            return groups[:groups_wanted]
        k = min(limit, k * 2)


def grouped(library, run: Callable[[int], list[Hit]], k: int | None, backend: str | None,
            collapse_on: bool = True) -> list[Group]:
    """``run(k)`` (a similar or text query) as groups: collapsed, or one group per hit when off."""
    k = k or library.settings.index.default_k
    if not collapse_on:
        return [Group(hit) for hit in run(k)]
    index = library.index(backend or library.settings.engine.default_backend)
    # a bound on the hits read: a library of nothing but copies returns fewer rows, not a full scan
    return collapsed_query(run, k, index.reconstruct, limit=max(READ_LIMIT_MIN, k * READ_LIMIT_PER_GROUP))
