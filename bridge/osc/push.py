"""Push events to subscribed clients: engine events become ``/soundalike/event/*`` messages.

Engine threads call :meth:`Push.on_event`, which only queues (it must return at once); the OSC
server's thread calls :meth:`Push.take` to turn the queue into messages. Progress is coalesced to
its latest value, at most one every ``progress_interval`` seconds (the last one always goes out);
other events queue up to ``max_pending``, past which they are counted and reported as dropped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from soundalike.bridge.osc.protocol import PREFIX, Reply
from soundalike.bridge.session import Selection
from soundalike.engine.errors import QueryError
from soundalike.engine.events import (
    Notice,
    Progress,
    RootState,
    SampleAdded,
    SampleFailed,
    SampleRemoved,
    SampleUpdated,
)

EVENT = f"{PREFIX}/event"
FOREVER = float("inf")
Client = tuple[str, int]


def event_reply(event: Any) -> Reply | None:
    """The message for an engine event (or a MIDI selection); None for events not pushed."""
    match event:
        case SampleAdded(sample_id, path):
            return f"{EVENT}/added", (sample_id, path)
        case SampleUpdated(sample_id, path):
            return f"{EVENT}/updated", (sample_id, path)
        case SampleRemoved(sample_id, path, status):
            return f"{EVENT}/removed", (sample_id, path, status)
        case SampleFailed(path, reason):
            return f"{EVENT}/failed", (path, reason)
        case Progress(done, total, current):
            return f"{EVENT}/progress", (done, total, current)
        case RootState(root, online, watching):
            return f"{EVENT}/root", (root, int(online), watching)
        case Notice(level, message):
            return f"{EVENT}/notice", (level, message)
        case Selection(path, rank, score):
            return f"{EVENT}/selected", (rank, path, float(score))
    return None


class Push:
    """Subscribers hold a lease of ``lease`` seconds, renewed by subscribing again; a subscriber that
    stops renewing (a closed patch, a crashed script) is dropped and frees its place. Subscribers
    added with ``lease=None`` (``[bridge] subscribers``) never expire."""

    def __init__(
        self,
        max_subscribers: int = 32,
        progress_interval: float = 0.25,
        max_pending: int = 1000,
        wake: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        lease: float = 600.0,
    ):
        self.max_subscribers = max_subscribers
        self.progress_interval = progress_interval
        self.max_pending = max_pending
        self.lease = lease
        self._wake, self.clock = wake, clock
        self._lock = threading.Lock()
        self._subscribers: dict[Client, float] = {}  # client -> when its lease ends (clock time)
        self._pending: deque[Reply] = deque()
        self._progress: Reply | None = None
        self._progress_sent_at = float("-inf")
        self._dropped = 0
        self.dropped_total = 0

    # --- subscribers (called from handlers) --------------------------------------------------
    def add(self, client: Client, lease: float | None = None) -> int:
        """Subscribe or renew ``client`` for ``lease`` seconds (None: ``self.lease``; ``FOREVER``).

        Returns the lease in whole seconds (0: for ever)."""
        lease = self.lease if lease is None else lease
        with self._lock:
            self._expire()
            if client not in self._subscribers and len(self._subscribers) >= self.max_subscribers:
                raise QueryError(f"too many subscribers ({self.max_subscribers}); unsubscribe one first")
            self._subscribers[client] = self.clock() + lease
        return 0 if lease == FOREVER else round(lease)

    def _expire(self) -> None:
        now = self.clock()
        for client in [c for c, ends in self._subscribers.items() if ends <= now]:
            del self._subscribers[client]

    def leases(self) -> dict[Client, float]:
        """Live subscribers and the seconds left on their leases (inf: for ever)."""
        with self._lock:
            self._expire()
            now = self.clock()
            return {client: ends - now for client, ends in self._subscribers.items()}

    def remove(self, client: Client) -> bool:
        with self._lock:
            known = client in self._subscribers
            self._subscribers.pop(client, None)
            return known

    def subscribed(self, client: Client) -> bool:
        with self._lock:
            return client in self._subscribers

    def drop_gone(self, client: Client) -> bool:
        """Drop ``client`` because its port is closed; subscribers from config (never expiring) stay."""
        with self._lock:
            if self._subscribers.get(client, FOREVER) == FOREVER:
                return False
            del self._subscribers[client]
            return True

    def subscribers(self) -> list[Client]:
        with self._lock:
            self._expire()
            return list(self._subscribers)

    # --- events (called from any thread) -----------------------------------------------------
    def on_event(self, event: Any) -> None:
        reply = event_reply(event)
        if reply is None:
            return
        with self._lock:
            if not self._subscribers:
                return
            was_idle = not self._pending and self._progress is None
            if isinstance(event, Progress):
                self._progress = reply
            elif len(self._pending) >= self.max_pending:
                self._dropped += 1
                self.dropped_total += 1
            else:
                self._pending.append(reply)
        if was_idle:
            self._wake()

    def take(self) -> list[Reply]:
        """Messages due now, in order; coalesced progress last (when its interval has passed)."""
        with self._lock:
            replies = list(self._pending)
            self._pending.clear()
            if self._dropped:
                replies.append((f"{EVENT}/dropped", (self._dropped,)))
                self._dropped = 0
            if self._progress is not None and self._progress_due(self._progress):
                replies.append(self._progress)
                self._progress, self._progress_sent_at = None, self.clock()
            return replies

    def _progress_due(self, progress: Reply) -> bool:
        done, total, _ = progress[1]
        return done >= total or self.clock() - self._progress_sent_at >= self.progress_interval

    def has_pending(self) -> bool:
        with self._lock:
            return bool(self._pending) or self._progress is not None
