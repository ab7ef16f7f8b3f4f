"""A real PostgreSQL server for the tests: Debian's binaries, a temporary cluster, a unix socket.

initdb refuses to run as root, so as root the server runs as the ``postgres`` user (``runuser``) in a
folder it owns. It listens on a socket in that folder only (no TCP port to collide on), so each
pytest-xdist worker starts its own. Each store the tests open gets a schema of its own.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

NO_POSTGRES = "SOUNDALIKE_NO_POSTGRES"
MISSING = (
    "the PostgreSQL store's contract tests need Debian's PostgreSQL server "
    "(/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or set SOUNDALIKE_NO_POSTGRES=1 to skip them"
)


def binaries() -> Path | None:
    """The newest installed server's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="soundalike-pg-"))
        self.data = self.folder / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}")

    def start(self) -> None:
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
            options = f"-c listen_addresses='' -k {self.folder} -c fsync=off -c full_page_writes=off"
            self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}"

    def catalog_for(self, folder: Path) -> str:
        """The URL of the catalog that stands for ``folder`` (one per test's tmp_path): a schema of its
        own, made when new (far quicker than a database each)."""
        name = "t" + hashlib.sha1(str(folder).encode()).hexdigest()[:20]
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {name}")
        return f"{self.url('postgres')}&options=-csearch_path%3D{name}"


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A temporary server for a benchmark, stopped and removed on the way out; SystemExit naming the
    package when the binaries are missing."""
    bin_dir = binaries()
    if bin_dir is None:
        raise SystemExit("needs Debian's PostgreSQL server (apt-get install postgresql)")
    server = PostgresServer(bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
