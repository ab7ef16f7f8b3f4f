"""A folder an export writes into without following links: nothing it writes lands anywhere else.

A kit export may be asked for by any local program (``/soundalike/kit_export``), so what is already
in the folder cannot be trusted: ``kit.sfz`` may be a symlink to a file elsewhere, ``samples`` a
symlink to another folder, a sample name a hard link to someone's file. So every write goes
through a descriptor of the folder opened once (later renames of the path do not move it):

* the folder's missing parts are made one at a time, each opened with ``O_NOFOLLOW`` (a link in
  their place is refused), and the folder's real place is checked after it is opened;
* a file is written to a fresh name (``O_CREAT | O_EXCL | O_NOFOLLOW``) and renamed over the
  final name, which replaces a link or another entry there instead of writing through it;
* a subfolder is opened with ``O_NOFOLLOW`` too.

Where the folder itself was named by a link (``~/Music`` on another disk), that link is followed
once, when the folder is opened; ``within`` (the bridge's allowed folders) then judges where it
really is.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from soundalike.engine.errors import QueryError, UserError

_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class SafeFolder:
    """An open folder; ``path`` names it in messages and in the paths returned."""

    def __init__(self, fd: int, path: Path):
        self.fd, self.path = fd, path

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path, within: Callable[[str], bool] | None = None) -> Iterator[SafeFolder]:
        """``path`` made if missing and opened; QueryError when its real place is not ``within``."""
        existing = path
        missing: list[str] = []
        while not existing.is_dir() and existing != existing.parent:
            missing.insert(0, existing.name)
            existing = existing.parent
        folder = cls(_open_dir(existing, None), existing)
        try:
            folder._check(within)
            for name in missing:
                folder = folder._descend(name, close=True)
            folder._check(within)
            yield folder
        finally:
            os.close(folder.fd)

    @contextlib.contextmanager
    def subfolder(self, name: str) -> Iterator[SafeFolder]:
        """``name`` inside this folder, made if missing; a link there is refused, not followed."""
        folder = self._descend(name, close=False)
        try:
            yield folder
        finally:
            os.close(folder.fd)

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, text.encode("utf-8"))

    def write_bytes(self, name: str, data: bytes) -> Path:
        with self._new_file(name) as stream:
            stream.write(data)
        return self.path / name

    def copy_from(self, source: str, name: str) -> Path:
        """A copy of ``source`` as ``name`` here, with its modification time (as ``cp -p``)."""
        try:
            with open(source, "rb") as original, self._new_file(name) as copy:
                shutil.copyfileobj(original, copy, 1 << 20)
                info = os.fstat(original.fileno())
                copy.flush()
                os.utime(copy.fileno(), ns=(info.st_atime_ns, info.st_mtime_ns))
        except OSError as e:
            raise UserError(f"cannot copy {source} to {self.path / name}: {e.strerror or e}") from e
        return self.path / name

    @contextlib.contextmanager
    def _new_file(self, name: str) -> Iterator:
        _plain_name(name)
        temporary = f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temporary, _NEW_FILE, 0o644, dir_fd=self.fd)
        except OSError as e:
            raise UserError(f"cannot write {self.path / name}: {e.strerror or e}") from e
        try:
            with os.fdopen(fd, "wb") as stream:
                yield stream
            os.replace(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=self.fd)
            if isinstance(e, OSError):
                raise UserError(f"cannot write {self.path / name}: {e.strerror or e}") from e
            raise

    def _descend(self, name: str, close: bool) -> SafeFolder:
        _plain_name(name)
        try:
            os.mkdir(name, 0o755, dir_fd=self.fd)
        except FileExistsError:
            pass  # a folder, or a link refused just below
        except OSError as e:
            raise UserError(f"cannot create {self.path / name}: {e.strerror or e}") from e
        fd = _open_dir(name, self.fd, self.path / name)
        if close:
            os.close(self.fd)
        return SafeFolder(fd, self.path / name)

    def _check(self, within: Callable[[str], bool] | None) -> None:
        if within is not None and not within(_real_place(self.fd, self.path)):
            raise QueryError(f"{self.path}: not inside the library's folders or [bridge] query_folders")


def _open_dir(name: str | Path, dir_fd: int | None, shown: Path | None = None) -> int:
    flags = _DIRECTORY | (_NOFOLLOW if dir_fd is not None else 0)
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as e:
        what = shown or Path(name)
        if os.path.islink(what):
            raise QueryError(f"{what} is a link; a kit is only written into real folders") from None
        raise UserError(f"cannot open the folder {what}: {e.strerror or e}") from e


def _real_place(fd: int, path: Path) -> str:
    """Where the open folder really is (Linux asks the kernel; elsewhere the path, resolved now)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):
            return os.readlink(f"/proc/self/fd/{fd}")
    return os.path.realpath(path)


def _plain_name(name: str) -> None:
    if not name or name in (".", "..") or "/" in name or os.sep in name or "\0" in name:
        raise UserError(f"{name!r} is not a plain file name")
