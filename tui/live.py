"""Engine events, gathered from worker threads and handed to the UI in coalesced batches.

The engine publishes on its own threads; :class:`EventPump` only appends to a list under a lock.
The app drains it on a timer (a few times a second), so a burst of 1,000 new files costs one
refresh of the views, not 1,000.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from bridge.events import BridgeActivity, BridgeState
from engine.events import (Event, EventBus, Notice, Progress, RootState, SampleAdded, SampleFailed, SampleRemoved,
                           SampleUpdated)


@dataclass
class Batch:
    """Everything that happened since the last drain, folded together."""

    changed_ids: set[int] = field(default_factory=set)  # added, updated or removed samples
    added: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    progress: Progress | None = None
    roots: dict[str, RootState] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    bridge: list[BridgeActivity] = field(default_factory=list)
    bridge_state: BridgeState | None = None

    @property
    def library_changed(self) -> bool:
        return bool(self.changed_ids or self.failed or self.roots)

    def is_empty(self) -> bool:
        return not (self.library_changed or self.progress or self.notices or self.bridge or self.bridge_state)

    def add(self, event: Event | BridgeActivity | BridgeState) -> None:
        if isinstance(event, (SampleAdded, SampleUpdated)):
            self.changed_ids.add(event.sample_id)
            self.added += isinstance(event, SampleAdded)
        elif isinstance(event, SampleRemoved):
            self.changed_ids.add(event.sample_id)
            self.removed += 1
        elif isinstance(event, SampleFailed):
            self.failed.append((event.path, event.reason))
        elif isinstance(event, Progress):
            self.progress = event
        elif isinstance(event, RootState):
            self.roots[event.root] = event
        elif isinstance(event, Notice):
            self.notices.append(event)
        elif isinstance(event, BridgeActivity):
            self.bridge.append(event)
        elif isinstance(event, BridgeState):
            self.bridge_state = event


class EventPump:
    """Subscribes to an EventBus; ``drain()`` returns what arrived since the last call."""

    def __init__(self, bus: EventBus, max_pending: int = 100_000):
        self._pending: deque[Event] = deque(maxlen=max_pending)
        self._lock = threading.Lock()
        self._unsubscribe = bus.subscribe(self._receive)

    def _receive(self, event: Event) -> None:
        with self._lock:
            self._pending.append(event)

    def drain(self) -> Batch:
        with self._lock:
            events, self._pending = self._pending, deque(maxlen=self._pending.maxlen)
        batch = Batch()
        for event in events:
            batch.add(event)
        return batch

    def close(self) -> None:
        self._unsubscribe()
