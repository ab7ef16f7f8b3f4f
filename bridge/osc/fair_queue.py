"""Requests waiting to be served, one queue per client, taken in turns.

A client that floods the server only fills its own queue: each turn serves one request from the
next client that has any, so another client's ping waits for at most one request per busy client,
not for the whole flood. Order within one client is kept (a bundle's ``set`` before its query).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from typing import Any

Client = tuple[str, int]


class QueueFull(Exception):
    pass


class FairQueue:
    def __init__(self, per_client: int, total: int):
        self.per_client, self.total = max(1, per_client), max(1, total)
        self._waiting: OrderedDict[Client, deque] = OrderedDict()  # clients with requests, in turn order
        self._count = 0
        self._signalled = False  # a wake-up or stop, seen by get() before it waits
        self._ready = threading.Condition()

    def put(self, client: Client, item: Any) -> None:
        """Queue ``item`` for ``client``; QueueFull when its queue (or all queues) are full."""
        with self._ready:
            waiting = self._waiting.get(client)
            if (waiting is not None and len(waiting) >= self.per_client) or self._count >= self.total:
                raise QueueFull
            if waiting is None:
                waiting = self._waiting[client] = deque()
            waiting.append(item)
            self._count += 1
            self._ready.notify()

    def signal(self) -> None:
        """Have a waiting get() return None now (for push events, or to stop)."""
        with self._ready:
            self._signalled = True
            self._ready.notify()

    def get(self, timeout: float | None) -> Any:
        """The next client's oldest item; None after a signal or when ``timeout`` passes."""
        with self._ready:
            if not self._count and not self._signalled:
                self._ready.wait(timeout)
            if self._signalled:
                self._signalled = False
                return None
            if not self._count:
                return None
            client, waiting = next(iter(self._waiting.items()))
            item = waiting.popleft()
            self._count -= 1
            del self._waiting[client]
            if waiting:
                self._waiting[client] = waiting  # back of the line
            return item

    def __len__(self) -> int:
        with self._ready:
            return self._count
