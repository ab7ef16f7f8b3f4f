"""Taking read permission away from a file, for tests that must also run as root (CI containers).

``chmod 0`` does it for a normal user. Root reads whatever the mode says, so there the refusal is
simulated where the OS would give it: ``open()`` and ``os.access()`` answer EACCES for that path
(``chmod`` still runs, so watchers see the same change as on a user's machine).
"""

from __future__ import annotations

import builtins
import errno
import io
import os
from pathlib import Path

import pytest

SIMULATED = os.geteuid() == 0


class ReadLocks:
    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.locked: set[str] = set()
        if not SIMULATED:
            return
        real_open, real_access = io.open, os.access

        def guarded_open(file, *args, **kwargs):
            if self._is_locked(file):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(file))
            return real_open(file, *args, **kwargs)

        def guarded_access(path, mode, *args, **kwargs):
            if mode & os.R_OK and self._is_locked(path):
                return False
            return real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(io, "open", guarded_open)
        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(os, "access", guarded_access)

    def _is_locked(self, file) -> bool:
        return isinstance(file, (str, bytes, os.PathLike)) and os.path.abspath(os.fsdecode(file)) in self.locked

    def take(self, path: Path) -> None:
        self.locked.add(os.path.abspath(path))
        path.chmod(0)

    def give_back(self, path: Path, mode: int = 0o644) -> None:
        self.locked.discard(os.path.abspath(path))
        path.chmod(mode)
