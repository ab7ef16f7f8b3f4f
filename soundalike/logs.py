"""Logging for the entry points: details to the library's log file, warnings to the terminal."""

from __future__ import annotations

import errno
import logging
import logging.handlers
import sys
import warnings
from pathlib import Path

#: watchdog's harmless noise: a folder deleted and made again reuses its inotify watch (a warning
#: per folder during churn), and an emitter racing its own stop logs an ERROR.
_WATCHDOG_REUSED_WATCH = r"Callback with id .* already exists for watch"
_WATCHDOG_STOP_RACE = "InotifyEmitter.queue_events() called when the thread is inactive"


def _not_stop_race(record: logging.LogRecord) -> bool:
    return _WATCHDOG_STOP_RACE not in record.getMessage()


def quiet_watchdog() -> None:
    """watchdog logs every inotify event at DEBUG (a churn run's history rotated out of the log in
    seconds): INFO and above only, without the two harmless messages above."""
    logging.getLogger("watchdog").setLevel(logging.INFO)
    logging.getLogger("watchdog.observers.inotify").addFilter(_not_stop_race)
    warnings.filterwarnings("ignore", message=_WATCHDOG_REUSED_WATCH, category=RuntimeWarning)


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file; when it cannot be written it says so once, not per record (and not at all
    for a full disk: the command says that itself, in one line)."""

    failed = False

    def emit(self, record: logging.LogRecord) -> None:
        """Opened on the first record once the library's folder exists: a read-only command on a
        library that does not exist makes no folder for its log."""
        if self.stream is None:
            folder = Path(self.baseFilename).parent
            if not folder.parent.is_dir():
                return
            try:
                folder.mkdir(exist_ok=True)
            except OSError:
                pass  # reported once by handleError when the file cannot be opened
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.failed:
            self.failed = True
            error = sys.exc_info()[1]
            if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
                return
            sys.stderr.write(
                f"soundalike: cannot write the log file {self.baseFilename} ({error}); "
                f"details are not logged until it can\n"
            )


def configure(log_dir: Path | None, verbose: bool = False) -> Path | None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    console = logging.StreamHandler()
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(console)
    quiet_watchdog()
    if log_dir is None:
        return None
    path = log_dir / "soundalike.log"
    try:
        if log_dir.parent.is_dir():
            log_dir.mkdir(exist_ok=True)
        handler = _LogFile(
            path,
            maxBytes=5 * 2**20,
            backupCount=2,
            encoding="utf-8",
            errors="backslashreplace",
            delay=not log_dir.is_dir(),
        )
    except OSError:
        return None
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s: %(message)s"))
    root.addHandler(handler)
    return path
