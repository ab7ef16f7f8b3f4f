"""Machines of a studio as real processes: ``soundalike serve`` started the way a studio runs it (a
config file of its own, ``$SOUNDALIKE_STORE_URL``, a data folder, an OSC port), killed with -9 or
stopped, and asked over OSC by a real UDP client on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from soundalike.bridge.osc.client import ClientTimeout, OscClient, Response
from soundalike.engine.tools.demo import render
from tests.conftest import write

INSTRUMENTS = ("kick", "snare", "closed hat", "cymbal")
#: Watch settings short enough for tests; small batches, so a kill lands mid-scan.
QUICK_WATCH = (
    "[watch]\ndebounce_seconds = 0.05\npoll_seconds = 0.5\nroot_check_seconds = 0.5\n"
    "index_save_seconds = 0.5\nbatch_files = 16\n"
)
#: What a machine takes from its config file alone, not from the test's environment.
OWN_SETTINGS = ("SOUNDALIKE_CONFIG", "SOUNDALIKE_DATA_DIR", "SOUNDALIKE_STORE_URL")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_shot(path: Path, seed: int) -> Path:
    """A generated drum hit at ``path``, written elsewhere first and moved in (as a copy lands)."""
    staging = path.parent.parent / f".staging-{path.name}"
    write(staging, render(INSTRUMENTS[seed % len(INSTRUMENTS)], seed=seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, path)
    return path


class Machine:
    """One machine of the studio: ``soundalike serve`` with its own config file and data folder."""

    def __init__(
        self, folder: Path, url: str, name: str, roots: dict[str, Path], *, index: bool, user: str = "", quick=True
    ):
        """``url``: the shared catalog ("" for SQLite); ``quick``: watch settings short enough for tests
        (else config.toml's, as a studio runs)."""
        self.folder = folder
        self.url = url
        self.name = name
        self.roots = roots
        self.port = free_udp_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "config.toml"
        listed = ", ".join(f'"{root}={path}"' for root, path in roots.items())
        self.config.write_text(
            f'[store]\nmachine = "{name}"\nuser = "{user}"\nroots = [{listed}]\nindex = {str(index).lower()}\n'
            + ("claim_seconds = 2.0\n" if quick else "")
            + "[engine]\nworkers = 1\n"
            + f"[bridge]\nosc_port = {self.port}\nmidi_enabled = false\n"
            + (QUICK_WATCH if quick else "")
        )
        self.process: subprocess.Popen | None = None
        self.log = folder / "serve.log"

    def command(self, *argv: str) -> list[str]:
        return [sys.executable, "-m", "soundalike", "--config", str(self.config), "--data-dir", str(self.data), *argv]

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in OWN_SETTINGS}
        return {**env, "SOUNDALIKE_STORE_URL": self.url} if self.url else env

    def serve(self, *folders: Path) -> Machine:
        """Start ``soundalike serve`` and wait until its OSC bridge answers a ping."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command("serve", *map(str, folders)), env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        with self.client(timeout=0.5) as client:
            while True:
                assert self.process.poll() is None, f"{self.name} exited: {self.log.read_text()}"
                try:
                    if client.ping().error is None:
                        return self
                except ClientTimeout:
                    pass
                assert time.monotonic() < deadline, f"{self.name} never answered: {self.log.read_text()}"

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        """A one-off command (``similar``, ``stats`` ...) on this machine's config."""
        return subprocess.run(self.command(*argv), env=self.env, capture_output=True, text=True, timeout=60)

    def client(self, timeout: float = 5.0) -> OscClient:
        return OscClient("127.0.0.1", self.port, timeout=timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def answered(client: OscClient, path: Path, timeout: float, k: int = 3) -> tuple[Response, float]:
    """Ask ``similar`` for ``path`` until it answers with hits: (the answer, seconds it took)."""
    start = time.monotonic()
    last: Response | None = None
    while time.monotonic() - start < timeout:
        last = client.similar(str(path), k)
        if last.error is None and last.paths:
            return last, time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{path} not answered within {timeout} s: {last.messages if last else None}")


def found(client: OscClient, query: Path, wanted: Path, timeout: float, k: int = 100) -> tuple[Response, float]:
    """Ask ``similar`` for ``query`` until ``wanted`` is among the hits, so in the answering machine's
    own index (a file outside it would be decoded as a query, not found): (the answer, seconds).
    Copies and layers are not folded into one result here, so each file is a hit of its own."""
    start = time.monotonic()
    assert client.set("collapse", 0).error is None
    last: Response | None = None
    while time.monotonic() - start < timeout:
        last = client.similar(str(query), k)
        if str(wanted) in last.paths:
            return last, time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"{wanted} not among {query}'s hits within {timeout} s: {last.messages if last else None}")


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)
