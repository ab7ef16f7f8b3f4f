"""The dispatch table: one pure function per request address, from a Request to reply messages.

Handlers talk to the library and the bridge's small state objects only; no sockets. Errors a
client can cause (a missing file, a bad aspect, a k that is too large) are raised as
``QueryError`` (or ``FileError`` for a file that is not audio) and become one ``/soundalike/error``
reply in :func:`dispatch`; a ``UserError`` (a backend not installed) is answered the same way; anything
else, a plain ``ValueError`` from numpy included, is logged with its traceback at ERROR and answered as
an internal error.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from soundalike.bridge import kit_requests
from soundalike.bridge import protocol as p
from soundalike.bridge.actions import pick_random
from soundalike.bridge.musical_keys import hit_fields
from soundalike.bridge.path_policy import PathPolicy
from soundalike.bridge.protocol import Reply, Request
from soundalike.bridge.session import ClientTable, Session
from soundalike.bridge.settings_keys import apply_setting
from soundalike.bridge.wire import split_list
from soundalike.engine.errors import FileError, QueryError, UserError
from soundalike.engine.library.browse import utf8_or_readable
from soundalike.engine.library.facade import Hit, Library
from soundalike.engine.library.query import SimilarQuery, TextQuery

log = logging.getLogger(__name__)

Handler = Callable[[Request], list[Reply]]

class Subscriptions(Protocol):
    def add(self, client: tuple[str, int]) -> int: ...
    def remove(self, client: tuple[str, int]) -> bool: ...
    def subscribed(self, client: tuple[str, int]) -> bool: ...


class Handlers:
    def __init__(self, library: Library, subscriptions: Subscriptions, status: Callable[[], dict[str, Any]],
                 max_k: int = 100, max_reply_bytes: int = 8192, session: Session | None = None,
                 paths: PathPolicy | None = None):
        self.library = library
        self.paths = paths or PathPolicy("library", (), library.browse.roots)
        self.subscriptions = subscriptions
        self.status_source = status
        self.max_k = max_k
        self.max_reply_bytes = max_reply_bytes
        self.clients = ClientTable(kept=subscriptions.subscribed)
        self.session = session or Session()
        self.kits = kit_requests.KitSessions()

    def table(self) -> dict[str, Handler]:
        names: dict[str, Handler] = {"similar": self.similar, "search": self.search, "tags": self.tags, "random": self.random,
                 "status": self.status, "ping": self.ping, "backends": self.backends, "set": self.set,
                 "subscribe": self.subscribe, "unsubscribe": self.unsubscribe,
                 "similar_span": self.similar_span, "kit": self.kit, "kit_edit": self.kit_edit,
                 "kit_export": self.kit_export}
        table = {f"{p.PREFIX}/{name}": handler for name, handler in names.items()}
        assert set(table) == set(p.REQUESTS), "every address in protocol.REQUESTS needs a handler"
        return table

    # --- queries -----------------------------------------------------------------------------
    def similar(self, req: Request) -> list[Reply]:
        prefs = self.clients.get(req.sender)
        path = self.paths.check(req.args["path"])
        folded = self.library.similar(SimilarQuery(path, k=self._k(req, prefs.k), backend=prefs.backend,
                                                   weights=prefs.weights, filters=prefs.filters,
                                                   musical=prefs.musical.prefer, collapse=prefs.collapse,
                                                   not_under=prefs.left_out(path, self.library.browse.roots())))
        hits = folded.hits
        self.session.set_results(path, hits)
        own = [(p.OWN, (req.id, len(folded.own.copies), len(folded.own.layers), folded.own.describe()))] \
            if folded.own else []
        return own + self.hit_replies(req.id, hits, prefs.format, prefs.musical.fields)

    def search(self, req: Request) -> list[Reply]:
        prefs = self.clients.get(req.sender)  # without a text backend the library says how to get one
        hits = self.library.search(TextQuery(req.args["text"], k=self._k(req, prefs.k), filters=prefs.filters,
                                             collapse=False)).hits
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
        hits = kit_requests.similar_span(self.library, path, req.args["from"], req.args["to"],
                                         k=self._k(req, prefs.k), prefs=prefs)
        self.session.set_results(path, hits)
        return self.hit_replies(req.id, hits, prefs.format, prefs.musical.fields)

    def kit(self, req: Request) -> list[Reply]:
        kit = self.kits.build(self.library, req.sender, self.paths.check(req.args["path"]))
        return kit_requests.kit_replies(req.id, kit)

    def kit_edit(self, req: Request) -> list[Reply]:
        return kit_requests.kit_replies(req.id, self.kits.edit(req.sender, req.args["action"], req.get("slot") or ""))

    def kit_export(self, req: Request) -> list[Reply]:
        folder = self.paths.writable_folder(req.args["folder"])
        return kit_requests.export_replies(self.kits.current(req.sender), req.id, folder,
                                           req.get("format") or "folder", self.paths.may_write_in)

    def tags(self, req: Request) -> list[Reply]:
        path = self.paths.check(req.args["path"])
        row = self.library.browse.sample_by_path(path)
        if row is None:
            raise QueryError(f"{path} is not in the library (index its folder first)")
        replies = [(p.TAG, (req.id, source, tag, float(score)))
                   for source, tags in self.library.browse.tags(row.id).items() for tag, score in tags.items()]
        return [*replies, (p.DONE, (req.id, len(replies)))]

    def _k(self, req: Request, preferred: int) -> int:
        k = req.get("k") or preferred or self.library.settings.index.default_k
        if k > self.max_k:
            raise QueryError(f"k must be at most {self.max_k} (max_k in [bridge] config), got {k}")
        return k

    def hit_replies(self, request_id: int, hits: list[Hit], style: str, fields: bool = False) -> list[Reply]:
        replies: list[Reply] = []
        if style in ("hits", "both"):
            extra = hit_fields(self.library, hits) if fields else {}  # issue 16: kind bpm key root
            replies += [(p.RESULT, (request_id, rank, utf8_or_readable(hit.path), float(hit.score),
                                    *extra.get(hit.sample.id, ())))
                        for rank, hit in enumerate(hits, 1)]
        if style in ("list", "both"):
            replies += split_list(p.RESULTS, (request_id,), [utf8_or_readable(hit.path) for hit in hits],
                                  self.max_reply_bytes)
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
