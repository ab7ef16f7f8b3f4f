"""One writer per library: an advisory lock file in the data folder, naming its owner.

The lock is ``flock`` on the data folder itself, so deleting a file cannot defeat it, and on
``<data_dir>/soundalike.engine.store.lock``. The kernel drops both when the owner exits, however it exits (kill -9
included), so a lock is never stale; the file's contents (PID, host, start time, command) only
serve to name the owner in the message another process prints, and are written best-effort (a
full disk must not stop a read-only command).
Within one process the lock is re-entrant: ``serve`` holds it for its lifetime, and library
writes taken meanwhile just count up and down.

A forked child (``index``'s worker processes) shares the parent's open file descriptions, and a
``flock`` lives as long as any descriptor of them is open: a worker that outlived a killed parent
would keep the library locked. So a child closes its copies as soon as it is forked (never
unlocking: that would unlock the parent too) and holds nothing; spawned children inherit no
descriptor at all (Python opens them non-inheritable).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from soundalike.engine.errors import UserError

log = logging.getLogger(__name__)

LOCK_NAME = "soundalike.engine.store.lock"


class LibraryLocked(UserError):
    """Another process owns the library."""


@dataclass(frozen=True)
class LockOwner:
    pid: int
    host: str
    started: float
    command: str

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        return f"{self.command} (pid {self.pid} on {self.host}, since {since})"

    def as_dict(self) -> dict:
        return asdict(self)


class LibraryLock:
    def __init__(self, data_dir: str | os.PathLike):
        self.path = Path(data_dir) / LOCK_NAME
        self._mutex = threading.Lock()
        self._fd: int | None = None
        self._dir_fd: int | None = None
        self._depth = 0
        self.owner: LockOwner | None = None  # set while this process holds the lock
        this = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _forget_in_child(this))

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, command: str = "") -> LockOwner:
        """Take the lock (or count up if this process has it); raise LibraryLocked naming the owner."""
        with self._mutex:
            if self._fd is None:
                self._fd = self._take(command or _command_line())
            self._depth += 1
            owner = self.owner
            assert owner is not None  # we hold it, so it is ours
            return owner

    def release(self) -> None:
        with self._mutex:
            if self._depth == 0:
                return
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fd, self._fd, self.owner = self._fd, None, None
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                os.close(fd)  # closing drops the flock
                if self._dir_fd is not None:
                    os.close(self._dir_fd)
                    self._dir_fd = None

    @contextlib.contextmanager
    def hold(self, command: str = "") -> Iterator[LockOwner]:
        owner = self.acquire(command)
        try:
            yield owner
        finally:
            self.release()

    @contextlib.contextmanager
    def try_hold(self) -> Iterator[bool]:
        """Hold the lock if nobody else does; yields whether this process holds it."""
        try:
            self.acquire()
        except LibraryLocked:
            yield False
            return
        try:
            yield True
        finally:
            self.release()

    def current_owner(self) -> LockOwner | None:
        """Who holds the lock now (None when nobody does)."""
        if self.held:
            return self.owner
        try:
            fd = os.open(self.path.parent, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_owner(self.path) or LockOwner(0, "?", 0.0, "another process")
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def _take(self, command: str) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            fd = self._flock(dir_fd)
        except BaseException:
            os.close(dir_fd)
            raise
        self._dir_fd = dir_fd
        self.owner = LockOwner(os.getpid(), socket.gethostname(), time.time(), command)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(self.owner.as_dict()).encode(), 0)
        except OSError as e:  # a full disk: the lock holds all the same, only its owner goes unnamed
            log.debug("cannot write the lock owner to %s: %s", self.path, e)
        log.debug("library lock taken: %s", self.owner.describe())
        return fd

    def _flock(self, dir_fd: int) -> int:
        """Lock the folder, then the lock file; the lock file's descriptor."""
        fd = None
        try:
            fcntl.flock(dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if fd is not None:
                os.close(fd)
            owner = _read_owner(self.path)
            who = owner.describe() if owner else "another process"
            raise LibraryLocked(
                f"the library {self.path.parent} is in use by {who}; stop it first, or use "
                f"read-only commands (similar, stats) while it runs"
            ) from None


def _forget_in_child(ref: weakref.ref[LibraryLock]) -> None:
    """In a freshly forked child: close the descriptors copied from the parent, without unlocking."""
    lock = ref()
    if lock is None:
        return
    for fd in (lock._fd, lock._dir_fd):
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
    lock._fd = lock._dir_fd = lock.owner = None
    lock._depth = 0
    lock._mutex = threading.Lock()  # another thread may have held it at the fork


def _read_owner(path: Path) -> LockOwner | None:
    try:
        values = json.loads(path.read_text(encoding="utf-8") or "null")
        return LockOwner(**values) if isinstance(values, dict) else None
    except (OSError, ValueError, TypeError):
        return None


def _command_line() -> str:
    """'soundalike index' for the CLI, else the program's name (the service names itself)."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    if "soundalike" not in name and name != "__main__.py":
        return name
    words, skip = [], False
    for arg in sys.argv[1:]:
        if skip or arg.startswith("-"):
            skip = arg in ("--data-dir", "--config")
            continue
        words.append(arg)
        break
    return " ".join(["soundalike", *words])
