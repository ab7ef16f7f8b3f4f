"""What the catalog last answered to the reads a search makes, for while its server is out of reach.

A machine on a shared catalog searches its own FAISS index; a search then reads the hits' rows, their
copy and family labels and the backend's model signature from the catalog (and, to take a query by
its path, the library's folders and the query file's own row). :class:`ReadMemory` keeps
those answers as they come, so while the server restarts or the network is down the machine still
answers searches over what it has read before (a hit never read is left out). Nothing here is
written back, and nothing is answered from memory while the server answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from soundalike.engine.store.rows import SampleRow

#: Past this many rows the memory starts again (a bound, not a cache policy: it fills again as searched).
LIMIT = 500_000


class ReadMemory:
    def __init__(self, limit: int = LIMIT):
        self._limit = limit
        self._rows: dict[int, SampleRow] = {}
        self._labels: dict[int, tuple[int, int]] = {}
        self._signatures: dict[str, str | None] = {}
        self._paths: dict[str, int] = {}
        self._roots: list[str] | None = None
        self._lock = threading.Lock()

    def keep_rows(self, rows: Mapping[int, SampleRow]) -> None:
        with self._lock:
            if len(self._rows) + len(rows) > self._limit:
                self._rows.clear()
                self._paths.clear()
            self._rows.update(rows)
            self._paths.update((row.path, sid) for sid, row in rows.items())

    def row_at(self, path: str) -> SampleRow | None:
        with self._lock:
            sid = self._paths.get(path)
            return None if sid is None else self._rows.get(sid)

    def keep_roots(self, roots: list[str]) -> None:
        with self._lock:
            self._roots = list(roots)

    def roots(self) -> list[str]:
        """The library's folders as last read; KeyError when they never were."""
        with self._lock:
            if self._roots is None:
                raise KeyError("roots")
            return list(self._roots)

    def rows(self, ids: Iterable[int]) -> dict[int, SampleRow]:
        with self._lock:
            return {sid: self._rows[sid] for sid in ids if sid in self._rows}

    def keep_labels(self, labels: Mapping[int, tuple[int, int]]) -> None:
        with self._lock:
            if len(self._labels) + len(labels) > self._limit:
                self._labels.clear()
            self._labels.update(labels)

    def labels(self, ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        with self._lock:
            return {sid: self._labels[sid] for sid in ids if sid in self._labels}

    def family(self, family: int, limit: int) -> list[int]:
        with self._lock:
            return sorted(sid for sid, (_, fam) in self._labels.items() if fam == family)[:limit]

    def keep_signature(self, backend: str, signature: str | None) -> None:
        with self._lock:
            self._signatures[backend] = signature

    def signature(self, backend: str) -> str | None:
        with self._lock:
            if backend not in self._signatures:
                raise KeyError(backend)
            return self._signatures[backend]
