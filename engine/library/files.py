"""The files of a library folder besides the catalog: the folder itself, and the state file kept
beside each saved index (which catalog vector version it holds, and a checksum of its bytes; for
an approximate index, the exact index's checksum it was saved with, and its own)."""

from __future__ import annotations

import os
from pathlib import Path

from soundalike.engine.errors import UserError


def make_library_folder(data_dir: Path) -> None:
    """Create the library folder and its ``index`` folder; a UserError names the path at fault."""
    try:
        (data_dir / "index").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        where = e.filename or data_dir
        if isinstance(e, FileExistsError):
            raise UserError(
                f"cannot create the library folder: {where} is a file; move it away, or use another --data-dir"
            ) from e
        raise UserError(f"cannot create the library folder {where}: {e.strerror or e}") from e


def refuse_lost_catalog(data_dir: Path) -> None:
    """A catalog that is gone or empty beside saved indexes was lost, not new: say so."""
    catalog = data_dir / "catalog.sqlite"
    state = "missing" if not catalog.exists() else "empty" if catalog.stat().st_size == 0 else ""
    if state and any((data_dir / "index").glob("*.faiss")):
        raise UserError(
            f"the catalog {catalog} is {state}, but this library folder holds indexes: restore it "
            f"from a backup, or run `soundalike repair` to start a new, empty catalog"
        )


def identity(folder: Path) -> tuple[int, int] | None:
    """(device, inode) of ``folder``: another value means it was deleted or replaced."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _version_file(index_path: Path) -> Path:
    return index_path.with_name(index_path.name + ".version")


def read_state(index_path: Path) -> tuple[int | None, str | None]:
    """(catalog vector version, checksum of the index's bytes) recorded beside a saved index."""
    try:
        words = _version_file(index_path).read_text().split()
        return int(words[0]), (words[1] if len(words) > 1 else None)
    except (OSError, ValueError, IndexError):
        return None, None


def write_state(index_path: Path, version: int, checksum: str | None) -> None:
    """Record which catalog vector version the saved index holds, and its checksum (written after
    the index)."""
    target = _version_file(index_path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(f"{version} {checksum}" if checksum else str(version))
    os.replace(tmp, target)


def read_approximate_state(approximate_path: Path) -> tuple[str | None, str | None]:
    """(checksum of the exact index it was saved with, checksum of its own bytes) recorded beside
    a saved approximate index: it is searched only beside that exact index."""
    try:
        exact, own = _version_file(approximate_path).read_text().split()
        return exact, own
    except (OSError, ValueError):
        return None, None


def write_approximate_state(approximate_path: Path, exact_checksum: str, checksum: str) -> None:
    target = _version_file(approximate_path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(f"{exact_checksum} {checksum}")
    os.replace(tmp, target)


class LibraryFolder:
    """The library folder: made (or refused when its catalog was lost) on open, and remembered by
    identity, so a folder deleted or replaced while we run is noticed instead of written.

    ``shared_catalog``: the URL of a shared catalog (PostgreSQL), when the catalog is not the
    folder's own SQLite file; the folder then holds this machine's indexes and logs only."""

    def __init__(self, data_dir: Path, shared_catalog: str = ""):
        self.data_dir = data_dir
        make_library_folder(data_dir)
        if not shared_catalog:
            refuse_lost_catalog(data_dir)
        self.catalog_path: str | Path = shared_catalog or data_dir / "catalog.sqlite"
        self._local_catalog = data_dir / "catalog.sqlite" if not shared_catalog else None
        self._identity = self._where()

    def remember(self) -> None:
        """Take the identity again once the catalog file exists (opening the catalog creates it)."""
        self._identity = self._where()

    def _where(self) -> tuple:
        return identity(self.data_dir), self._local_catalog and identity(self._local_catalog)

    def still_there(self) -> bool:
        return self._where() == self._identity

    def check_still_there(self) -> None:
        """Raise UserError when the library folder was deleted or replaced while we ran."""
        if not self.still_there():
            raise UserError(
                f"the library folder {self.data_dir} was deleted or replaced while soundalike was "
                f"running: stopped, nothing more is written there (start again to use a new one)"
            )
