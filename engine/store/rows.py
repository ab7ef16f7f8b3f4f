"""The values a store hands out: plain frozen records, the same whichever store made them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple, get_args

import numpy as np

#: The tag source of the tags a producer gives (beside the backends' own sources).
USER_SOURCE = "user"

#: ok: indexed; failed: could not be read (the reason is kept); missing: gone from disk; offline: its drive is away.
SampleStatus = Literal["ok", "failed", "missing", "offline"]
STATUSES: tuple[SampleStatus, ...] = get_args(SampleStatus)


@dataclass(frozen=True)
class SampleRow:
    id: int
    path: str
    root: str
    size: int
    mtime: float
    content_hash: str | None
    status: SampleStatus
    reason: str | None
    format: str | None
    sample_rate: int | None
    channels: int | None
    duration: float | None
    peak_db: float | None
    rms_db: float | None
    silent: bool | None
    clipped: bool | None
    favourite: bool
    added: float
    updated: float


#: More ids than this to look up (a re-index of a whole library): one read of the whole column, not
#: a lookup per 500 ids (1.7 s for 589k ids).
BULK = 20_000


class Known(NamedTuple):
    """What the catalog knows of a file, to compare with what is on disk."""

    id: int
    size: int
    mtime: float
    status: str
    ctime: float | None = None
    inode: int | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class SoundFacts:
    sample_id: int
    fingerprint: bytes | None
    layer_name: str
    copy_group: int
    family: int


@dataclass(frozen=True)
class FolderUse:
    """What a library folder holds: samples, and the user's own marks on them."""

    samples: int
    favourites: int
    user_tagged: int  # samples with at least one user tag
    collected: int  # samples in at least one collection

    @property
    def has_user_data(self) -> bool:
        return bool(self.favourites or self.user_tagged or self.collected)

    def describe(self) -> str:
        """ "3 favourites, 2 samples with your tags, 1 sample in collections" ("" when none)."""
        parts = [
            (self.favourites, "favourite", "favourites"),
            (self.user_tagged, "sample with your tags", "samples with your tags"),
            (self.collected, "sample in collections", "samples in collections"),
        ]
        return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)


@dataclass(frozen=True)
class Claim:
    """A file an indexer has claimed (to decode it), by which machine and process, for how long more."""

    path: str
    machine: str
    pid: int
    seconds_left: float


@dataclass(frozen=True)
class VectorChanges:
    """What brings a local index of a backend's vectors from a version to ``version``
    (:meth:`~soundalike.engine.store.interface.Store.vector_changes`): vectors to add or replace,
    ids to take out."""

    version: int
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    matrix: np.ndarray | None = None  # the vectors of ``ids``, a row each
    removed: tuple[int, ...] = ()

    def __len__(self) -> int:
        return len(self.ids) + len(self.removed)
