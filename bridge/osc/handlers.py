"""The dispatch table: one pure function per request address, from a Request to reply messages.

Each client also has its own current kit (:class:`KitSessions`): ``/kit`` builds one around a
sound, ``/kit_edit`` cycles, locks or rerolls it, ``/kit_export`` writes it; kits are kept for the
most recent clients only.

Handlers talk to the library and the bridge's small state objects only; no sockets. Errors a
client can cause (a missing file, a bad aspect, a k that is too large) are raised as
``QueryError`` (or ``FileError`` for a file that is not audio) and become one ``/soundalike/error``
reply in :func:`dispatch`; a ``UserError`` (a backend not installed) is answered the same way; anything
else, a plain ``ValueError`` from numpy included, is logged with its traceback at ERROR and answered as
an internal error.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from soundalike.bridge.actions import pick_random
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.path_policy import PathPolicy
from soundalike.bridge.osc.prefs import ClientPrefs, ClientTable
from soundalike.bridge.osc.protocol import Reply, Request
from soundalike.bridge.osc.settings_keys import apply_setting
from soundalike.bridge.osc.wire import split_list
from soundalike.bridge.session import Session
from soundalike.engine.errors import FileError, QueryError, UserError
from soundalike.engine.kits.builder import Kit
from soundalike.engine.kits.export import export_kit
from soundalike.engine.library.browse import utf8_or_readable
from soundalike.engine.library.facade import Hit, Library
from soundalike.engine.library.query import KitQuery, SimilarQuery, TextQuery
from soundalike.engine.musical.analysis import Musical
from soundalike.engine.pipeline.recording import span_of_file

log = logging.getLogger(__name__)

Handler = Callable[[Request], list[Reply]]


class Subscriptions(Protocol):
    def add(self, client: tuple[str, int]) -> int: ...
    def remove(self, client: tuple[str, int]) -> bool: ...
    def subscribed(self, client: tuple[str, int]) -> bool: ...


class Handlers:
    def __init__(
        self,
        library: Library,
        subscriptions: Subscriptions,
        status: Callable[[], dict[str, Any]],
        max_k: int = 100,
        max_reply_bytes: int = 8192,
        session: Session | None = None,
        paths: PathPolicy | None = None,
    ):
        self.library = library
        self.paths = paths or PathPolicy("library", (), library.browse.roots)
        self.subscriptions = subscriptions
        self.status_source = status
        self.max_k = max_k
        self.max_reply_bytes = max_reply_bytes
        self.clients = ClientTable(kept=subscriptions.subscribed)
        self.session = session or Session()
        self.kits = KitSessions()

    def table(self) -> dict[str, Handler]:
        names: dict[str, Handler] = {
            "similar": self.similar,
            "search": self.search,
            "tags": self.tags,
            "random": self.random,
            "status": self.status,
            "ping": self.ping,
            "backends": self.backends,
            "set": self.set,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
            "similar_span": self.similar_span,
            "kit": self.kit,
            "kit_edit": self.kit_edit,
            "kit_export": self.kit_export,
        }
        table = {f"{p.PREFIX}/{name}": handler for name, handler in names.items()}
        assert set(table) == set(p.REQUESTS), "every address in protocol.REQUESTS needs a handler"
        return table

    # --- queries -----------------------------------------------------------------------------
    def similar(self, req: Request) -> list[Reply]:
        prefs = self.clients.get(req.sender)
        path = self.paths.check(req.args["path"])
        folded = self.library.similar(
            SimilarQuery(
                path,
                k=self._k(req, prefs.k),
                backend=prefs.backend,
                weights=prefs.weights,
                filters=prefs.filters,
                musical=prefs.musical.prefer,
                collapse=prefs.collapse,
                not_under=prefs.left_out(path, self.library.browse.roots()),
            )
        )
        hits = folded.hits
        self.session.set_results(path, hits)
        own = (
            [(p.OWN, (req.id, len(folded.own.copies), len(folded.own.layers), folded.own.describe()))]
            if folded.own
            else []
        )
        return own + self.hit_replies(req.id, hits, prefs.format, prefs.musical.fields)

    def search(self, req: Request) -> list[Reply]:
        prefs = self.clients.get(req.sender)  # without a text backend the library says how to get one
        hits = self.library.search(
            TextQuery(req.args["text"], k=self._k(req, prefs.k), filters=prefs.filters, collapse=False)
        ).hits
        self.session.set_results(None, hits)
        return self.hit_replies(req.id, hits, prefs.format, prefs.musical.fields)

    def random(self, req: Request) -> list[Reply]:
        row = pick_random(self.library, req.get("tag"))
        hit = Hit(row, 1.0)
        self.session.set_results(row.path, [])
        prefs = self.clients.get(req.sender)
        return self.hit_replies(req.id, [hit], prefs.format, prefs.musical.fields)

    def similar_span(self, req: Request) -> list[Reply]:
        prefs = self.clients.get(req.sender)
        path = self.paths.check(req.args["path"])
        hits = similar_in_span(
            self.library, path, req.args["from"], req.args["to"], k=self._k(req, prefs.k), prefs=prefs
        )
        self.session.set_results(path, hits)
        return self.hit_replies(req.id, hits, prefs.format, prefs.musical.fields)

    def kit(self, req: Request) -> list[Reply]:
        kit = self.kits.build(self.library, req.sender, self.paths.check(req.args["path"]))
        return kit_replies(req.id, kit)

    def kit_edit(self, req: Request) -> list[Reply]:
        return kit_replies(req.id, self.kits.edit(req.sender, req.args["action"], req.get("slot") or ""))

    def kit_export(self, req: Request) -> list[Reply]:
        folder = self.paths.writable_folder(req.args["folder"])
        return export_replies(
            self.kits.current(req.sender), req.id, folder, req.get("format") or "folder", self.paths.may_write_in
        )

    def tags(self, req: Request) -> list[Reply]:
        path = self.paths.check(req.args["path"])
        row = self.library.browse.sample_by_path(path)
        if row is None:
            raise QueryError(f"{path} is not in the library (index its folder first)")
        replies = [
            (p.TAG, (req.id, source, tag, float(score)))
            for source, tags in self.library.browse.tags(row.id).items()
            for tag, score in tags.items()
        ]
        return [*replies, (p.DONE, (req.id, len(replies)))]

    def _k(self, req: Request, preferred: int) -> int:
        k = req.get("k") or preferred or self.library.settings.index.default_k
        if k > self.max_k:
            raise QueryError(f"k must be at most {self.max_k} (max_k in [bridge] config), got {k}")
        return k

    def hit_replies(self, request_id: int, hits: list[Hit], style: str, fields: bool = False) -> list[Reply]:
        replies: list[Reply] = []
        if style in ("hits", "both"):
            extra = hit_fields(self.library, hits) if fields else {}  # kind bpm key root
            replies += [
                (
                    p.RESULT,
                    (request_id, rank, utf8_or_readable(hit.path), float(hit.score), *extra.get(hit.sample.id, ())),
                )
                for rank, hit in enumerate(hits, 1)
            ]
        if style in ("list", "both"):
            replies += split_list(
                p.RESULTS, (request_id,), [utf8_or_readable(hit.path) for hit in hits], self.max_reply_bytes
            )
        return [*replies, (p.DONE, (request_id, len(hits)))]

    # --- service -----------------------------------------------------------------------------
    def status(self, req: Request) -> list[Reply]:
        items = [(key, value) for key, value in self.status_source().items() if isinstance(value, (int, float, str))]
        replies = [(p.STATUS, (req.id, key, _scalar(value))) for key, value in items]
        return [*replies, (p.DONE, (req.id, len(replies)))]

    def ping(self, req: Request) -> list[Reply]:
        return [(p.PONG, (req.id,))]

    def backends(self, req: Request) -> list[Reply]:
        replies = []
        for name in self.library.settings.engine.backends:
            embedder = self.library.embedder(name)
            replies.append((p.BACKEND, (req.id, name, int(embedder.dim), *sorted(embedder.aspects))))
        return [*replies, (p.DONE, (req.id, len(replies)))]

    def set(self, req: Request) -> list[Reply]:
        key, value = req.args["key"], req.args["value"]
        self.clients.update(req.sender, lambda prefs: apply_setting(self.library, prefs, key, value, self.max_k))
        return [(p.DONE, (req.id, 0))]

    def subscribe(self, req: Request) -> list[Reply]:
        """``done id lease``: subscribe again within ``lease`` seconds to keep receiving events."""
        lease = self.subscriptions.add((req.sender[0], req.get("port") or req.sender[1]))
        return [(p.DONE, (req.id, lease))]

    def unsubscribe(self, req: Request) -> list[Reply]:
        self.subscriptions.remove((req.sender[0], req.get("port") or req.sender[1]))
        return [(p.DONE, (req.id, 0))]


# --- kits and spans -------------------------------------------------------------------------------
EDITS = ("next", "previous", "lock", "reroll")


def similar_in_span(library: Library, path: str, start: float, end: float, k: int, prefs: ClientPrefs) -> list[Hit]:
    """The first hit between ``start`` and ``end`` seconds of ``path``, as the query."""
    clip = span_of_file(path, start, end)
    return library.similar(
        SimilarQuery(
            clip.audio,
            k=k,
            backend=prefs.backend,
            weights=prefs.weights,
            filters=prefs.filters,
            sample_rate=clip.sample_rate,
            collapse=False,
        )
    ).hits


class KitSessions:
    """Each client's current kit (the ``capacity`` most recent clients)."""

    def __init__(self, capacity: int = 64):
        self.capacity = capacity
        self._kits: OrderedDict[tuple[str, int], Kit] = OrderedDict()
        self._lock = threading.Lock()
        self._rng = random.Random()

    def build(self, library: Library, client: tuple[str, int], seed: str) -> Kit:
        kit = library.kit(KitQuery(seed))
        with self._lock:
            self._kits[client] = kit
            self._kits.move_to_end(client)
            while len(self._kits) > self.capacity:
                self._kits.popitem(last=False)
        return kit

    def current(self, client: tuple[str, int]) -> Kit:
        with self._lock:
            kit = self._kits.get(client)
        if kit is None:
            raise QueryError("no kit yet: send /soundalike/kit path first")
        return kit

    def edit(self, client: tuple[str, int], action: str, slot: str) -> Kit:
        if action not in EDITS:
            raise QueryError(f"unknown kit edit {action!r}; one of {', '.join(EDITS)}")
        kit = self.current(client)
        if action == "reroll":
            kit.reroll(self._rng)
        elif not slot:
            raise QueryError(f"{action} needs a slot, e.g. snare")
        elif action == "lock":
            kit.toggle_lock(slot)
        else:
            kit.cycle(slot, 1 if action == "next" else -1)
        return kit


def kit_replies(request_id: int, kit: Kit) -> list[Reply]:
    replies = [
        (
            p.KIT_SLOT,
            (
                request_id,
                c.slot.name,
                c.slot.note,
                c.pick.path,
                float(c.pick.score),
                c.index + 1,
                len(c.choices),
                int(c.locked),
            ),
        )
        for c in kit.slots
        if c.pick is not None
    ]
    unfilled = [(p.KIT_UNFILLED, (request_id, c.slot.name, c.slot.note)) for c in kit.slots if c.pick is None]
    return [*replies, *unfilled, (p.DONE, (request_id, len(replies)))]


def export_replies(
    kit: Kit, request_id: int, folder: str, fmt: str, within: Callable[[str], bool] | None = None
) -> list[Reply]:
    """Export into ``folder``; every file is created there without following links, and the folder's
    real place must pass ``within`` (the bridge's allowed folders)."""
    if not os.path.isabs(folder):
        raise QueryError(f"{folder!r} is not an absolute path")
    written = export_kit(kit, folder, fmt, within)
    return [(p.EXPORTED, (request_id, str(written))), (p.DONE, (request_id, len(kit.picks())))]


# --- musical fields on each /result ---------------------------------------------------------------
def result_fields(facts: Musical | None) -> tuple:
    """The extra /result arguments: kind, bpm, key, root ("" and 0.0 for what is unknown)."""
    if facts is None:
        return ("", 0.0, "", "")
    return (facts.kind or "", float(facts.bpm or 0.0), facts.key_name or "", facts.root_name or "")


def hit_fields(library: Library, hits: list[Hit]) -> dict[int, tuple]:
    facts = library.browse.musical(hit.sample.id for hit in hits)
    return {hit.sample.id: result_fields(facts.get(hit.sample.id)) for hit in hits}


def _scalar(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def dispatch(table: dict[str, Handler], request: Request) -> tuple[list[Reply], str | None]:
    """Run the request's handler; returns its replies and the error counter to bump (or None)."""
    try:
        return table[request.address](request), None
    except (QueryError, FileError) as e:  # the client's fault: a bad request, or a file of theirs that is not audio
        log.info("%s from %s:%d failed: %s", request.address, *request.sender, e)
        return [p.error(request.id, str(e) or type(e).__name__)], "failed"
    except UserError as e:  # our setup (a backend not installed): the message says what to do
        log.warning("%s from %s:%d failed: %s", request.address, *request.sender, e)
        return [p.error(request.id, str(e))], "failed"
    except Exception as e:  # a bug (numpy, FAISS, ours), or the disk: keep serving, keep the traceback in the log
        log.exception("%s from %s:%d crashed", request.address, *request.sender)
        return [p.error(request.id, f"internal error ({type(e).__name__}); details in the soundalike log")], "internal"
