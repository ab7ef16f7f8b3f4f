"""Logging for the entry points: details to the library's log file, warnings to the terminal."""
from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


def configure(log_dir: Path | None, verbose: bool = False) -> Path | None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler()
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "soundalike.log"
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=5 * 2**20, backupCount=2, encoding="utf-8")
    except OSError:
        return None
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s"))
    root.addHandler(handler)
    return path
