"""Claims on files in the shared catalog: which indexer decodes which file, until when.

A claim is a row of ``claims`` (the path, the holder: one opened store, its machine and process,
and until when on the server's clock, so machines whose clocks differ agree on expiry). Claiming
never waits on another indexer: rows another transaction is claiming are skipped (``FOR UPDATE
SKIP LOCKED``), rows held and not expired are left alone. Paths are inserted in sorted order, so two
indexers claiming overlapping batches at once cannot deadlock.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from soundalike.engine.store.rows import Claim

if TYPE_CHECKING:
    from soundalike.engine.store.postgres.catalog import PgCatalog

#: Now, in seconds, on the server's clock (moves within a transaction, unlike now()).
NOW = "extract(epoch from clock_timestamp())"


@dataclass(frozen=True)
class Holder:
    """Who holds the claims one opened store takes: a token of its own, its machine and process."""

    token: str
    machine: str
    pid: int

    @classmethod
    def new(cls, machine: str) -> Holder:
        return cls(uuid.uuid4().hex, machine or socket.gethostname(), os.getpid())


def claim(store: PgCatalog, holder: Holder, paths: Sequence[str], seconds: float) -> list[str]:
    """The ``paths`` (this machine's) now held by ``holder``: a claim is on the stored path, so two
    machines that mount the share at other places claim the same file."""
    wanted = sorted({store.paths.stored(path) for path in paths})
    if not wanted:
        return []
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO claims(path, holder, machine, pid, until) SELECT p, '', '', 0, 0 "
            "FROM unnest(?::text[]) AS p ORDER BY p ON CONFLICT (path) DO NOTHING",
            (wanted,),
        )
        rows = tx.execute(
            f"SELECT path FROM claims WHERE path = ANY(?) AND (until < {NOW} OR holder = ?) "
            "ORDER BY path FOR UPDATE SKIP LOCKED",
            (wanted, holder.token),
        ).fetchall()
        granted = [row[0] for row in rows]
        if granted:
            tx.execute(
                f"UPDATE claims SET holder = ?, machine = ?, pid = ?, until = {NOW} + ? WHERE path = ANY(?)",
                (holder.token, holder.machine, holder.pid, seconds, granted),
            )
    return [store.paths.local(path) or path for path in granted]


def extend(store: PgCatalog, holder: Holder, seconds: float) -> int:
    with store.transaction() as tx:
        cursor = tx.execute(f"UPDATE claims SET until = {NOW} + ? WHERE holder = ?", (seconds, holder.token))
        return cursor.rowcount


def release(store: PgCatalog, holder: Holder, paths: Iterable[str]) -> None:
    gone = sorted({store.paths.stored(path) for path in paths})
    if gone:
        with store.transaction() as tx:
            tx.execute("DELETE FROM claims WHERE holder = ? AND path = ANY(?)", (holder.token, gone))


def held(store: PgCatalog) -> list[Claim]:
    rows = store.query(
        f"SELECT path, machine, pid, until - {NOW} FROM claims WHERE until > {NOW} ORDER BY path",
    )
    local = store.paths.local
    return [Claim(local(path) or path, machine, int(pid), float(left)) for path, machine, pid, left in rows]
