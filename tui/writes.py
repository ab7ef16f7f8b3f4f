"""Library writes from the app's keys (star, your tags, collections), run on a worker thread.

A write takes the library's inter-process lock; while another process owns the library
(``soundalike serve``) that raises :class:`soundalike.engine.store.lock.LibraryLocked`, which names the owner.
On the UI thread that would be an uncaught exception (the app would crash) and a slow disk would
freeze the keys; here the write runs on a worker, one at a time and in the order asked, and a
failure becomes a toast that says what was not done and why. Nothing is half-written: each
write is one catalog transaction behind the lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from soundalike.engine.errors import SoundalikeError

if TYPE_CHECKING:
    from soundalike.engine.library.facade import Library

log = logging.getLogger(__name__)

T = TypeVar("T")

ERROR_TOAST_SECONDS = 10


class WriteHost(Protocol):
    """What the writes need of the app."""

    def notify(self, message: str, *, markup: bool = False, **kwargs: Any) -> None: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> Any: ...


class LibraryWrites:
    def __init__(self, host: WriteHost):
        self.host = host
        self._one_at_a_time = threading.Lock()

    def submit(self, what: str, write: Callable[[], T], done: Callable[[T], object]) -> None:
        """Run ``write()`` on a worker, then ``done(result)`` on the UI thread; ``what`` names the
        write in the toast when it fails ("star kick.wav")."""
        self.host.run_worker(lambda: self._run(what, write, done), thread=True, group="library-write", description=what)

    def _run(self, what: str, write: Callable[[], T], done: Callable[[T], object]) -> None:
        try:
            with self._one_at_a_time:
                result = write()
        except ValueError as e:  # the words given cannot be used (an empty tag, a bad name)
            self.host.call_from_thread(self.host.notify, str(e), severity="warning")
        except (SoundalikeError, OSError) as e:  # LibraryLocked names the owner; StoreError what the store met
            log.warning("could not %s: %s", what, e, exc_info=True)
            self.host.call_from_thread(
                self.host.notify,
                f"Couldn't {what}: {e}",
                title="Not saved",
                severity="error",
                timeout=ERROR_TOAST_SECONDS,
            )
        else:
            self.host.call_from_thread(done, result)


def toggle_favourite(library: Library, sample_id: int) -> None:
    """Star a sample, or unstar it: as it is now, not as it was when the key was pressed."""
    sample = library.browse.sample(sample_id)
    if sample is not None:
        library.set_favourite(sample_id, not sample.favourite)
