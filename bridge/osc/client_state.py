"""Per-client settings and subscriptions kept across restarts, in a small JSON file in the data folder.

Max's ``[udpsend]`` keeps its source port while the patch is open, so a client is known by
``host:port``: after ``serve`` restarts, a patch that sent ``/soundalike/set reply_port 9001`` once
still gets its replies at 9001, and its subscription (with what was left of its lease) is back.
A missing or unreadable file starts empty (logged); it never stops the bridge.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from soundalike.bridge.osc.prefs import ClientPrefs

log = logging.getLogger(__name__)

Client = tuple[str, int]
VERSION = 1


@dataclasses.dataclass
class SavedState:
    prefs: dict[Client, ClientPrefs] = dataclasses.field(default_factory=dict)
    leases: dict[Client, float] = dataclasses.field(default_factory=dict)  # seconds left


def load(path: Path) -> SavedState:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SavedState()
    except (OSError, ValueError) as e:
        log.warning("ignoring the OSC client state in %s: %s", path, e)
        return SavedState()
    if not isinstance(table, dict) or table.get("version") != VERSION:
        return SavedState()
    age = max(0.0, time.time() - float(table.get("saved_at", time.time())))
    state = SavedState()
    for key, values in table.get("clients", {}).items():
        client = _client(key)
        if client and isinstance(values, dict):
            state.prefs[client] = _prefs(values)
    for key, left in table.get("subscribers", {}).items():
        client = _client(key)
        if client and isinstance(left, (int, float)) and left - age > 0:
            state.leases[client] = left - age
    return state


def save(path: Path, prefs: dict[Client, ClientPrefs], leases: dict[Client, float]) -> None:
    table = {
        "version": VERSION,
        "saved_at": time.time(),
        "clients": {_key(client): _plain(p) for client, p in prefs.items() if p != ClientPrefs()},
        "subscribers": {_key(client): left for client, left in leases.items() if left != float("inf")},
    }
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(table, indent=1), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as e:
        log.warning("could not save the OSC client state to %s: %s", path, e)


def _key(client: Client) -> str:
    return f"{client[0]}:{client[1]}"


def _client(key: str) -> Client | None:
    host, _, port = key.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else None


def _plain(prefs: ClientPrefs) -> dict[str, Any]:
    return dataclasses.asdict(prefs)


def _prefs(values: dict[str, Any]) -> ClientPrefs:
    """Settings from the file; fields this version does not know are left out, missing ones default."""
    return _rebuild(ClientPrefs, values)


def _rebuild(cls: type, values: dict[str, Any]) -> Any:
    """``cls`` from its ``asdict`` form: nested settings (Filters, MusicalPrefs) rebuilt as their own
    class, lists as tuples, unknown names dropped."""
    kept: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in values:
            continue
        value = values[f.name]
        default = f.default if f.default is not dataclasses.MISSING else None
        if dataclasses.is_dataclass(default) and isinstance(value, dict):
            value = _rebuild(type(default), value)
        kept[f.name] = _tuple(value)
    return cls(**kept)


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
