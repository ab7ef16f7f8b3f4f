"""What differs between the SQLite and the PostgreSQL store's SQL, where the statement is otherwise one.

Both stores write their statements with ``?`` marks (the PostgreSQL connection rewrites them), so
most of the SQL is shared (:mod:`.shared_catalog`, :mod:`.shared_store`, :mod:`.shared_transaction`
and the concept modules). A :class:`Dialect` names the few places where the two databases differ
in a statement that is otherwise the same: insert-or-replace (``INSERT OR REPLACE`` against
``ON CONFLICT``), a list of ids (an ``IN`` list of marks against one array parameter), a row a
transaction reads and then replaces (``FOR UPDATE``), and the byte order vectors are kept in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dialect:
    name: str
    #: Ids cross as one array parameter (``= ANY(?)``) rather than an ``IN`` list of marks.
    arrays: bool
    #: Insert-or-replace is ``INSERT ... ON CONFLICT (key) DO ...`` rather than ``INSERT OR REPLACE``.
    on_conflict: bool
    #: Appended to a ``SELECT`` of a row the transaction then replaces (another writer waits for it).
    lock_row: str
    #: How a vector's floats are kept: native (SQLite, read only by this machine) or little-endian.
    vector_dtype: str

    def in_ids(self, column: str, ids: Sequence) -> tuple[str, list]:
        """A condition that ``column`` is one of ``ids``, and its parameters."""
        if self.arrays:
            return f"{column} = ANY(?)", [list(ids)]
        return f"{column} IN ({','.join('?' * len(ids))})", list(ids)

    def upsert(self, table: str, key: Sequence[str], columns: Sequence[str], replace: bool = True) -> str:
        """INSERT of ``columns`` into ``table``; a row with the same ``key`` has its other columns
        replaced (``replace``) or is kept as it is."""
        marks = ", ".join("?" * len(columns))
        names = ", ".join(columns)
        if not self.on_conflict:
            return f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO {table}({names}) VALUES ({marks})"
        update = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        action = f"DO UPDATE SET {update}" if update and replace else "DO NOTHING"
        return f"INSERT INTO {table}({names}) VALUES ({marks}) ON CONFLICT ({', '.join(key)}) {action}"

    def blob(self, vector: np.ndarray) -> bytes:
        """A vector as it is stored."""
        return np.ascontiguousarray(vector, dtype=self.vector_dtype).tobytes()

    def floats(self, blob: bytes) -> np.ndarray:
        """Stored vectors (one or several, end to end) back as float32 (a view where no conversion is needed)."""
        return np.frombuffer(blob, dtype=self.vector_dtype).astype(np.float32, copy=False)


SQLITE = Dialect("sqlite", arrays=False, on_conflict=False, lock_row="", vector_dtype="=f4")
POSTGRES = Dialect("postgres", arrays=True, on_conflict=True, lock_row=" FOR UPDATE", vector_dtype="<f4")
