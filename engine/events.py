"""Events the engine publishes, and the bus that carries them to the TUI and the bridge.

Subscribers are called on the publishing thread (the engine's worker or watcher thread): they must
return quickly and must not touch UI objects directly. A Textual app posts a message to itself;
the OSC bridge queues a packet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SampleAdded:
    sample_id: int
    path: str


@dataclass(frozen=True)
class SampleUpdated:
    sample_id: int
    path: str
    marks_only: bool = False  # only the user's marks changed (a star): its status is as it was


@dataclass(frozen=True)
class SampleRemoved:
    sample_id: int
    path: str
    status: str  # "missing", "offline" or "removed"


@dataclass(frozen=True)
class SampleFailed:
    path: str
    reason: str


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    current: str = ""


@dataclass(frozen=True)
class RootState:
    root: str
    online: bool
    watching: str = ""  # "inotify", "polling" or "" when not watched


@dataclass(frozen=True)
class Notice:
    """Something the user should read: a fallback to polling, a backend that failed to load."""

    level: str  # "info", "warning" or "error"
    message: str


Event = SampleAdded | SampleUpdated | SampleRemoved | SampleFailed | Progress | RootState | Notice
# Other parts may publish their own events on the same bus (the bridge's ``soundalike.bridge.events``): the
# engine carries them without knowing their types.
Subscriber = Callable[[object], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Register ``subscriber``; returns a function that unsubscribes it."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, event: object) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception:  # a broken subscriber must not stop the engine
                log.exception("event subscriber %r failed on %r", subscriber, event)
