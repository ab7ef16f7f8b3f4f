"""Walk sample folders and list the audio files in them, without reading any audio.

Symbolic links are followed, loops are cut by remembering each folder's real path, and temporary
or sidecar names (dotfiles, ``.part``, ``.tmp``, ``~`` backups, ``.asd`` and the like) are skipped.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

TEMPORARY_SUFFIXES = (
    ".part",
    ".tmp",
    ".temp",
    ".crdownload",
    ".download",
    "~",
    ".asd",
    ".reapeaks",
    ".pkf",
    ".ds_store",
)


@dataclass(frozen=True)
class FileEntry:
    """A candidate audio file. ``problem`` is set when it cannot even be stat-ed (or is no file).

    ``ctime`` and ``inode`` tell an overwrite that kept size and mtime (``cp -p``, ``rsync -t``)
    from an untouched file: the content hash then decides whether it really changed.
    """

    path: str
    size: int = 0
    mtime: float = 0.0
    problem: str | None = None
    root: str = ""
    ctime: float = 0.0
    inode: int = 0


def is_temporary(name: str) -> bool:
    return _temporary_lower(name.lower())


def _temporary_lower(lower: str) -> bool:
    return lower.startswith((".", "~$")) or lower.endswith(TEMPORARY_SUFFIXES)


def is_candidate(name: str, extensions: tuple[str, ...]) -> bool:
    return _candidate_lower(name.lower(), extensions)


def _candidate_lower(lower: str, extensions: tuple[str, ...]) -> bool:
    """``lower``: a name in lower case. Its extension is what ``splitext`` gives: after the last dot,
    unless the name starts with its only dot (a dotfile, temporary anyway)."""
    return not _temporary_lower(lower) and lower.endswith(extensions) and lower.rfind(".") > 0


def walk(root: str, extensions: tuple[str, ...], start: str | None = None) -> Iterator[FileEntry]:
    """Yield every candidate file under ``root`` (depth first, sorted, symlinks followed once).

    With ``start`` (a folder below ``root``) only that subtree is walked; the folders between
    ``root`` and ``start`` count as visited, so a symbolic link back up is cut there too.
    """
    extensions = tuple(e for e in extensions if e.startswith("."))  # as splitext gives them
    seen_dirs: set[object] = set()
    stack = [root]
    if start is not None and start != root:
        seen_dirs = {_identity(folder) for folder in _ancestors(start, root)}
        stack = [start]
    while stack:
        folder = stack.pop()
        real = _identity(folder)
        if real in seen_dirs:
            log.debug("skipping %s: already visited (symlink loop?)", folder)
            continue
        seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            log.warning("cannot list %s: %s", folder, e.strerror or e)
            continue
        subfolders = []
        for entry in entries:
            lower = entry.name.lower()
            if _temporary_lower(lower):
                continue
            if _is_dir(entry):
                subfolders.append(entry.path)
            elif lower.endswith(extensions) and lower.rfind(".") > 0:
                yield stat_entry(entry.path, root)
        stack.extend(reversed(subfolders))


def _identity(folder: str) -> object:
    """What tells a folder from every other: its device and inode (one ``stat``, where its real path
    costs an ``lstat`` per part of it: 3 s of a million-file walk), or its real path when it cannot
    be stat-ed."""
    try:
        info = os.stat(folder)
    except OSError:
        return os.path.realpath(folder)
    return (info.st_dev, info.st_ino)


def _ancestors(path: str, root: str) -> list[str]:
    """The folders strictly above ``path`` up to and including ``root``."""
    folders, folder = [], os.path.dirname(path)
    while folder.startswith(root) and folder != os.path.dirname(folder):
        folders.append(folder)
        if folder == root:
            break
        folder = os.path.dirname(folder)
    return folders


def has_temporary_part(path: str, root: str) -> bool:
    """True when any name between ``root`` and ``path`` is temporary or hidden (walk skips those)."""
    relative = os.path.relpath(path, root)
    return relative != "." and any(is_temporary(part) for part in relative.split(os.sep))


def stat_entry(path: str, root: str = "") -> FileEntry:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        reason = "broken symbolic link" if os.path.islink(path) else "file vanished while scanning"
        return FileEntry(path, problem=reason, root=root)
    except OSError as e:
        return FileEntry(path, problem=f"cannot read file: {e.strerror or e}", root=root)
    if not stat.S_ISREG(info.st_mode):
        return FileEntry(path, problem=f"not a regular file ({_kind(info.st_mode)})", root=root)
    return FileEntry(path, info.st_size, info.st_mtime, root=root, ctime=info.st_ctime, inode=info.st_ino)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a directory" if stat.S_ISDIR(mode) else "not a plain file"


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False
