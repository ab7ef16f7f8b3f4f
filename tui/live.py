"""Engine events into the app as Textual messages, coalesced so a burst costs a few UI updates.

The engine publishes on its worker and watcher threads. :class:`LiveFeed` folds each event into
one pending :class:`Batch` under a lock and, only when that batch was empty, posts an
:class:`EngineActivity` message to the app (``post_message`` is thread-safe; the message also
``can_replace`` an older one still queued). While the app has not taken the batch, further
events only fold into it: 10,000 new files post one message per UI update, not 10,000. The app
takes the batch when it handles the message (at most a few times a second) and hands what
changed to its screens as messages of their own, :class:`SamplesChanged` and :class:`BridgeNews`,
which screens handle with ordinary ``on_...`` handlers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

from soundalike.bridge.events import BridgeActivity, BridgeState
from soundalike.engine.events import (
    EventBus,
    Notice,
    Progress,
    RootState,
    SampleAdded,
    SampleFailed,
    SampleRemoved,
    SampleUpdated,
)

log = logging.getLogger(__name__)


class EngineActivity(Message, bubble=False):
    """Engine events wait in the app's :class:`LiveFeed` (a wake-up: the events travel in the feed)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineActivity)


@dataclass
class SamplesChanged(Message, bubble=False):
    """Samples were added, updated or removed, files failed, or roots came and went: for screens."""

    ids: frozenset[int]  # the samples added, updated or removed


@dataclass
class BridgeNews(Message, bubble=False):
    """What the DAW bridge answered since the last update, and its transports' state if it changed."""

    activity: tuple[BridgeActivity, ...]
    state: BridgeState | None


@dataclass
class Batch:
    """Everything that happened since the app last took the feed's batch, folded together."""

    changed_ids: set[int] = field(default_factory=set)  # added, updated or removed samples
    added: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    progress: Progress | None = None
    roots: dict[str, RootState] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    bridge: list[BridgeActivity] = field(default_factory=list)
    bridge_state: BridgeState | None = None
    statuses_changed: bool = False  # samples came, went or changed beyond a star: the status counts move

    @property
    def library_changed(self) -> bool:
        return bool(self.changed_ids or self.failed or self.roots)

    def is_empty(self) -> bool:
        return not (self.library_changed or self.progress or self.notices or self.bridge or self.bridge_state)

    def add(self, event: object) -> bool:
        """Fold ``event`` in; False for an event the app has no use for."""
        if isinstance(event, (SampleAdded, SampleUpdated)):
            self.changed_ids.add(event.sample_id)
            self.added += isinstance(event, SampleAdded)
            self.statuses_changed |= not (isinstance(event, SampleUpdated) and event.marks_only)
        elif isinstance(event, SampleRemoved):
            self.changed_ids.add(event.sample_id)
            self.removed += 1
            self.statuses_changed = True
        elif isinstance(event, SampleFailed):
            self.failed.append((event.path, event.reason))
            self.statuses_changed = True
        elif isinstance(event, Progress):
            self.progress = event
        elif isinstance(event, RootState):
            self.roots[event.root] = event
            self.statuses_changed = True
        elif isinstance(event, Notice):
            self.notices.append(event)
        elif isinstance(event, BridgeActivity):
            self.bridge.append(event)
        elif isinstance(event, BridgeState):
            self.bridge_state = event
        else:
            return False
        return True

    def screen_messages(self) -> list[Message]:
        """What each screen is told of this batch."""
        messages: list[Message] = []
        if self.library_changed:
            messages.append(SamplesChanged(frozenset(self.changed_ids)))
        if self.bridge or self.bridge_state:
            messages.append(BridgeNews(tuple(self.bridge), self.bridge_state))
        return messages


class LiveFeed:
    """Subscribes to an EventBus; posts :class:`EngineActivity` when events start to wait; ``take()``."""

    def __init__(self, bus: EventBus, post: Callable[[Message], object]):
        self._post = post
        self._lock = threading.Lock()
        self._batch = Batch()
        self._posted = True  # held until start(): the app takes what came before it ran
        self._unsubscribe = bus.subscribe(self._receive)

    def _receive(self, event: object) -> None:
        with self._lock:
            if not self._batch.add(event) or self._posted:
                return
            self._posted = True
        self._post(EngineActivity())

    def start(self) -> Batch:
        """The app runs: what arrived so far, and messages from now on."""
        return self.take()

    def take(self) -> Batch:
        """Everything since the last take; the next event posts a new :class:`EngineActivity`."""
        with self._lock:
            batch, self._batch, self._posted = self._batch, Batch(), False
        return batch

    def close(self) -> None:
        self._unsubscribe()


class FailureDigest:
    """Files that failed to index, told at most every ``every`` seconds: one line names the first."""

    def __init__(self, every: float):
        self.every = every
        self._pending: list[tuple[str, str]] = []
        self._last: float | None = None

    @property
    def waiting(self) -> bool:
        return bool(self._pending)

    def add(self, failed: list[tuple[str, str]], now: float) -> str | None:
        """The toast to show now, if one is due."""
        self._pending += failed
        if not self._pending or (self._last is not None and now - self._last < self.every):
            return None
        (path, reason), count = self._pending[0], len(self._pending)
        self._pending, self._last = [], now
        name = Path(path).name
        log.warning("%d files failed to index; first: %s: %s", count, path, reason)
        return (
            f"Couldn't index {name}: {reason}"
            if count == 1
            else f"{count} files couldn't be indexed, e.g. {name}: {reason}. The status filter (e) lists them."
        )
