"""Following the PostgreSQL catalog's vector changes: a connection of its own that LISTENs.

Each transaction that changes a backend's vectors notifies ``<schema>.vectors`` with "<backend>
<version>" at commit (migration 5 of :mod:`.schema`). :func:`follow_vectors` passes each one on,
and ``None`` each time it (re)connects, since whatever was committed while it was away was not
heard: the caller catches up from the change log. A lost connection is made again every
``retry`` seconds until ``stop`` is set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.postgres.connection import KEEPALIVES, store_error, where_of

log = logging.getLogger(__name__)

#: How long one wait for notices lasts before ``stop`` is looked at again.
WAIT_SECONDS = 0.25
#: After this long without a notice, catch up anyway (cheap: one version read per backend).
QUIET_CHECK_SECONDS = 5.0


def follow_vectors(
    url: str,
    on_change: Callable[[str | None], None],
    on_lost: Callable[[StoreError], None],
    stop: threading.Event,
    retry: float = 0.5,
) -> None:
    """Call ``on_change(backend)`` for each backend whose vectors changed (a burst of notices for one
    backend comes as one call), ``on_change(None)`` on each (re)connection, ``on_lost`` when the
    connection is lost or cannot be made; returns once ``stop`` is set."""
    lost = False
    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True, **KEEPALIVES) as conn:
                row = conn.execute("SELECT current_schema()").fetchone()
                channel = f"{row[0] if row else 'public'}.vectors"
                conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                if lost:
                    log.info("listening to %s again", where_of(url))
                lost = False
                on_change(None)
                _listen(conn, on_change, stop)
        except psycopg.Error as e:
            if not lost:
                log.warning("stopped hearing of %s's changes (%s): trying again", where_of(url), e)
            lost = True
            on_lost(store_error(url, e))
            stop.wait(retry)


def _listen(conn: psycopg.Connection, on_change: Callable[[str | None], None], stop: threading.Event) -> None:
    last: tuple[str, str] | None = None
    quiet_since = time.monotonic()
    while not stop.is_set():
        for notice in conn.notifies(timeout=WAIT_SECONDS):
            backend, _, version = notice.payload.rpartition(" ")
            if (backend, version) != last:  # the same version again: caught up already
                on_change(backend)
            last, quiet_since = (backend, version), time.monotonic()
        if time.monotonic() - quiet_since > QUIET_CHECK_SECONDS:  # a notice missed costs at most this
            conn.execute("SELECT 1")  # and a connection gone is noticed
            on_change(None)
            quiet_since = time.monotonic()
