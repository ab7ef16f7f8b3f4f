"""What changed in a backend's vectors since a version: how a machine's local index catches up.

A store that logs its vector changes (the PostgreSQL store) answers
:meth:`~soundalike.engine.store.interface.Store.vector_changes` with a :class:`VectorChanges`: the
vectors to add (or replace) and the ids to take out that bring an index holding ``since`` to
``version``. A store that cannot say (the SQLite store, or a log trimmed past ``since``) answers
``None``: the index is rebuilt from every stored vector instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class VectorChanges:
    version: int  # the backend's vectors version these changes bring an index to
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # to add or replace
    matrix: np.ndarray | None = None  # their vectors, a row each
    removed: tuple[int, ...] = ()  # to take out

    def __len__(self) -> int:
        return len(self.ids) + len(self.removed)
