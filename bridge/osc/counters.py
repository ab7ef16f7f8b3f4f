"""Thread-safe named counters for the bridge's status (requests, replies, each kind of error)."""

from __future__ import annotations

import threading

# "queue_full" (requests answered busy) is not called "busy": that status key is the engine's indexing flag.
ERROR_KINDS = (
    "malformed",
    "unknown_address",
    "bad_arguments",
    "failed",
    "internal",
    "queue_full",
    "refused",
    "send_failed",
)


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = dict.fromkeys(
            ("packets", "requests", "replies", "pushed", "unreachable", *ERROR_KINDS), 0
        )

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            counts = dict(self._counts)
        counts["errors"] = sum(counts[kind] for kind in ERROR_KINDS)
        return counts
