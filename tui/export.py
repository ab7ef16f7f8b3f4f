"""Getting sounds out: copy or link files into a project folder (as WAV when the folder's DAW or
sampler wants it), or hand them over as a URI list."""

from __future__ import annotations

import filecmp
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import soundfile as sf

from soundalike.engine.config import ExportFormat, ExportMode

log = logging.getLogger(__name__)

MODES: tuple[ExportMode, ...] = get_args(ExportMode)
#: "keep": each file as it is; "wav": files in other formats become WAV copies (same rate and channels).
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)


@dataclass
class ExportReport:
    done: list[str] = field(default_factory=list)  # paths written in the folder
    already: list[str] = field(default_factory=list)  # the same file was there already
    converted: int = 0  # of ``done``, written as WAV from another format
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source path, reason)

    def summary(self, folder: str, mode: str) -> str:
        verb = "Linked" if mode == "link" else "Copied"
        parts = [f"{verb} {len(self.done)} file{'' if len(self.done) == 1 else 's'} into {folder}"]
        if self.converted:
            parts.append(f"{self.converted} converted to WAV")
        if self.already:
            parts.append(f"{len(self.already)} already there")
        if self.failed:
            path, reason = self.failed[0]
            parts.append(f"{len(self.failed)} failed, e.g. {os.path.basename(path)}: {reason}")
        return "; ".join(parts)


def export_files(paths: list[str], folder: str, mode: str = "copy", fmt: str = "keep") -> ExportReport:
    """Copy (or symlink) each file into ``folder`` (made when missing). A different file of the
    same name is never overwritten: the new one gets " (2)", " (3)", ... before its extension.
    ``fmt`` "wav": a file in another format is written there as WAV instead (never linked)."""
    if mode not in MODES:
        raise ValueError(f"[tui] export_mode must be one of {', '.join(MODES)}, got {mode!r}")
    if fmt not in FORMATS:
        raise ValueError(f"[tui] export_format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not folder:
        raise ValueError("no folder to export into: set [tui] project_folder")
    target = Path(os.path.expanduser(folder))
    target.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    for path in paths:
        try:
            _one(Path(path), target, mode, fmt == "wav" and not _is_wav(Path(path)), report)
        except (OSError, sf.LibsndfileError) as e:
            log.warning("export of %s failed: %s", path, e)
            report.failed.append((path, getattr(e, "strerror", None) or str(e)))
    return report


def _is_wav(path: Path) -> bool:
    try:
        return sf.info(str(path)).format == "WAV"
    except (OSError, sf.LibsndfileError):
        return path.suffix.lower() == ".wav"


def _one(source: Path, target: Path, mode: str, to_wav: bool, report: ExportReport) -> None:
    if not source.is_file():
        raise FileNotFoundError(2, "the file is not there (moved, or its drive unplugged?)")
    suffix = ".wav" if to_wav else source.suffix
    destination = target / (source.stem + suffix)
    number = 2
    while destination.exists() or destination.is_symlink():
        if not to_wav and _same(source, destination):
            report.already.append(str(destination))
            return
        destination = target / f"{source.stem} ({number}){suffix}"
        number += 1
    if to_wav:
        write_wav(source, destination)
        report.converted += 1
    elif mode == "link":
        destination.symlink_to(source.resolve())
    else:
        shutil.copy2(source, destination)
    report.done.append(str(destination))


def write_wav(source: Path, destination: Path) -> None:
    """``source`` (any format soundfile reads) as a WAV file: same rate and channels, its sample
    format where WAV has it (16-bit stays 16-bit), else 24-bit PCM."""
    info = sf.info(str(source))
    subtype = info.subtype if sf.check_format("WAV", info.subtype) else "PCM_24"
    data, rate = sf.read(str(source), always_2d=True, dtype="float32")
    partial = destination.with_name(destination.name + ".part")
    try:
        sf.write(str(partial), data, rate, format="WAV", subtype=subtype)
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)


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
