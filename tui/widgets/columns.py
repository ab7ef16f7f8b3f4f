"""Optional list columns and result sort orders: one table entry each.

A new column is one ``Column`` in ``COLUMNS`` (header, width, the text of a row); a new sort order
is one ``SortKey`` in ``SORTS`` (label, the value a result sorts by). The results view steps
through ``SORTS`` with its sort key and shows the ``COLUMNS`` named in ``[tui] columns`` (its
columns key shows or hides them all).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from soundalike.engine.library.browse import SampleRow


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    text: Callable[[SampleRow], str]


def bit_depth(row: SampleRow) -> str:
    """ "16", "24", "32f" from the stored format ("WAV PCM_24", "FLAC PCM_16", "WAV FLOAT")."""
    subtype = (row.format or "").split(" ")[-1].upper()
    if subtype in ("FLOAT", "DOUBLE"):
        return "32f" if subtype == "FLOAT" else "64f"
    match = re.search(r"(\d+)$", subtype)
    return match.group(1) if match else "–"


def channels(row: SampleRow) -> str:
    return {None: "–", 1: "mono", 2: "st"}.get(row.channels, str(row.channels))


def rate(row: SampleRow) -> str:
    return f"{row.sample_rate / 1000:g}k" if row.sample_rate else "–"


COLUMNS: dict[str, Column] = {
    "rate": Column("rate", 7, rate),
    "bits": Column("bits", 5, bit_depth),
    "channels": Column("ch", 5, channels),
}


@dataclass(frozen=True)
class SortKey:
    label: str
    #: (the result's sample, its score, its tags) -> a value to sort by, ascending
    key: Callable[[SampleRow, float, list[str]], Any]


SORTS: dict[str, SortKey] = {
    "score": SortKey("score", lambda row, score, tags: -score),
    "name": SortKey("name", lambda row, score, tags: (os.path.basename(row.path).lower(), row.path)),
    "length": SortKey("length", lambda row, score, tags: (row.duration is None, row.duration or 0.0)),
    "added": SortKey("date added, newest first", lambda row, score, tags: -row.added),
    "tag": SortKey("tag", lambda row, score, tags: (not tags, tags[0] if tags else "", -score)),
}


def next_sort(current: str) -> str:
    names = list(SORTS)
    return names[(names.index(current) + 1) % len(names)]
