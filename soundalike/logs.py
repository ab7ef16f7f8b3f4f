"""Logging for the entry points: details to the library's log file, warnings to the terminal."""
from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

#: Libraries whose debug lines would drown ours (watchdog logs every inotify event at DEBUG, so a
#: churn run's history rotated out of the log in seconds); they log at INFO and above.
QUIET_LIBRARIES = ("watchdog",)


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file; when it cannot be written (a full disk) it says so once, not per record."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.failed:
            self.failed = True
            error = sys.exc_info()[1]
            sys.stderr.write(f"soundalike: cannot write the log file {self.baseFilename} ({error}); "
                             f"details are not logged until it can\n")


def configure(log_dir: Path | None, verbose: bool = False) -> Path | None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler()
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.INFO)
    if log_dir is None:
        return None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / "soundalike.log"
        handler = _LogFile(path, maxBytes=5 * 2**20, backupCount=2, encoding="utf-8", errors="backslashreplace")
    except OSError:
        return None
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s"))
    root.addHandler(handler)
    return path
