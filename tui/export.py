"""Getting sounds out: copy or link files into a project folder, or hand them over as a URI list."""
from __future__ import annotations

import filecmp
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

MODES = ("copy", "link")


@dataclass
class ExportReport:
    done: list[str] = field(default_factory=list)  # paths written in the folder
    already: list[str] = field(default_factory=list)  # the same file was there already
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source path, reason)

    def summary(self, folder: str, mode: str) -> str:
        verb = "Linked" if mode == "link" else "Copied"
        parts = [f"{verb} {len(self.done)} file{'' if len(self.done) == 1 else 's'} into {folder}"]
        if self.already:
            parts.append(f"{len(self.already)} already there")
        if self.failed:
            path, reason = self.failed[0]
            parts.append(f"{len(self.failed)} failed, e.g. {os.path.basename(path)}: {reason}")
        return "; ".join(parts)


def export_files(paths: list[str], folder: str, mode: str = "copy") -> ExportReport:
    """Copy (or symlink) each file into ``folder`` (made when missing). A different file of the
    same name is never overwritten: the new one gets " (2)", " (3)", ... before its extension."""
    if mode not in MODES:
        raise ValueError(f"[tui] export_mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not folder:
        raise ValueError("set [tui] project_folder in config.toml to the folder samples should go to")
    target = Path(os.path.expanduser(folder))
    target.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    for path in paths:
        try:
            _one(Path(path), target, mode, report)
        except OSError as e:
            log.warning("export of %s failed: %s", path, e)
            report.failed.append((path, e.strerror or str(e)))
    return report


def _one(source: Path, target: Path, mode: str, report: ExportReport) -> None:
    if not source.is_file():
        raise FileNotFoundError(2, "the file is not there (moved, or its drive unplugged?)")
    destination = target / source.name
    number = 2
    while destination.exists() or destination.is_symlink():
        if _same(source, destination):
            report.already.append(str(destination))
            return
        destination = target / f"{source.stem} ({number}){source.suffix}"
        number += 1
    if mode == "link":
        destination.symlink_to(source.resolve())
    else:
        shutil.copy2(source, destination)
    report.done.append(str(destination))


def _same(source: Path, existing: Path) -> bool:
    try:
        if existing.is_symlink() and existing.resolve() == source.resolve():
            return True
        return filecmp.cmp(source, existing, shallow=False)
    except OSError:
        return False


def uri_list(paths: list[str]) -> str:
    """The files as text/uri-list (RFC 2483): one file:// URI per line, CRLF-separated."""
    return "".join(Path(os.path.abspath(p)).as_uri() + "\r\n" for p in paths)
