"""The OSC address space: what each request address takes, and turning packets into requests.

Every request address lists its arguments in order; trailing ones are optional. The request id
(an int the client picks) is echoed in every reply so a client can match replies to requests;
when it cannot be read, replies carry ``UNKNOWN_ID``. Parsing here is pure: no sockets, no
library. docs/osc.md is the reference for users and must agree with ``REQUESTS``.
"""

from __future__ import annotations

import math
import os
import re
import reprlib
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from soundalike.bridge.osc.decode import PacketError, decode_packet

PREFIX = "/soundalike"
UNKNOWN_ID = -1
MAX_PATH_BYTES = 4096
MAX_TEXT_CHARS = 512
MAX_WORD_CHARS = 128

# Reply addresses.
RESULT = f"{PREFIX}/result"  # id rank path score
RESULTS = f"{PREFIX}/results"  # id path1 path2 ... (split over several messages when long)
TAG = f"{PREFIX}/tag"  # id source tag score
STATUS = f"{PREFIX}/status"  # id key value (one message per key)
BACKEND = f"{PREFIX}/backend"  # id name dim aspect1 aspect2 ...
DONE = f"{PREFIX}/done"  # id count: the last reply to a request that worked
ERROR = f"{PREFIX}/error"  # id message: the last (and only) reply to a request that failed
PONG = f"{PREFIX}/pong"  # id
HELLO = f"{PREFIX}/hello"  # port version: a (re)started server, sent to the clients it knows
KIT_SLOT = f"{PREFIX}/kit_slot"  # id slot note path score choice choices locked (per filled slot)
KIT_UNFILLED = f"{PREFIX}/kit_unfilled"  # id slot note: no sound surely tagged for this slot
EXPORTED = f"{PREFIX}/exported"  # id path: the main file a kit export wrote
OWN = f"{PREFIX}/own"  # id copies layers text: the query's own copies and layers, not among the results
TERMINAL = (DONE, ERROR, PONG)


#: What an argument takes: "number" is an int or a float, "value" an int, a float or a string.
ArgKind = Literal["path", "text", "word", "int", "number", "value"]
#: Why a packet is not a request; each names a status counter.
BadKind = Literal["malformed", "unknown_address", "bad_arguments"]


@dataclass(frozen=True)
class Arg:
    name: str
    kind: ArgKind
    required: bool = False
    low: int = 0  # ints only
    high: int = 2**31 - 1


ID = Arg("id", "int", low=-(2**31))
REQUESTS: dict[str, tuple[Arg, ...]] = {
    f"{PREFIX}/similar": (Arg("path", "path", True), Arg("k", "int"), ID),
    f"{PREFIX}/search": (Arg("text", "text", True), Arg("k", "int"), ID),
    f"{PREFIX}/tags": (Arg("path", "path", True), ID),
    f"{PREFIX}/random": (Arg("tag", "word"), ID),
    f"{PREFIX}/status": (ID,),
    f"{PREFIX}/ping": (ID,),
    f"{PREFIX}/backends": (ID,),
    f"{PREFIX}/set": (Arg("key", "word", True), Arg("value", "value", True), ID),
    f"{PREFIX}/subscribe": (Arg("port", "int", high=65535), ID),
    f"{PREFIX}/unsubscribe": (Arg("port", "int", high=65535), ID),
    # a span of a file (a hit in a bounced loop), and kits built around a sound
    f"{PREFIX}/similar_span": (
        Arg("path", "path", True),
        Arg("from", "number", True),
        Arg("to", "number", True),
        Arg("k", "int"),
        ID,
    ),
    f"{PREFIX}/kit": (Arg("path", "path", True), ID),
    f"{PREFIX}/kit_edit": (Arg("action", "word", True), Arg("slot", "word"), ID),
    f"{PREFIX}/kit_export": (Arg("folder", "path", True), Arg("format", "word"), ID),
}

Reply = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Request:
    address: str
    args: dict[str, Any]
    sender: tuple[str, int]
    id: int = 0

    def get(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)


@dataclass
class BadRequest(Exception):
    """A packet that cannot become a request. ``kind`` names the status counter it goes to."""

    kind: BadKind
    message: str
    id: int = UNKNOWN_ID
    address: str = field(default="")

    def __str__(self) -> str:
        return self.message


def error(request_id: int, message: str) -> Reply:
    return ERROR, (int(request_id), message)


def summary(request: Request, replies: list[Reply]) -> str:
    """One short line about a request and its answer, for activity views ("kick.wav -> 10 results")."""
    subject = (
        os.path.basename(request.args.get("path", "")) or request.args.get("text") or request.args.get("key") or ""
    )
    address, args = replies[-1] if replies else ("", ())
    if address == ERROR:
        outcome = f"error: {args[1]}"
    elif address == DONE and request.address.endswith(("/similar", "/search", "/random")):
        outcome = f"{args[1]} results"
    else:
        outcome = "ok"
    return f"{subject} -> {outcome}" if subject else outcome


def parse_packet(data: bytes, sender: tuple[str, int]) -> list[Request | BadRequest]:
    """Every message of a packet (a bundle may hold several) as a request or the reason it is bad.

    Packets are read by :mod:`soundalike.bridge.osc.decode`, which checks every size before trusting it."""
    try:
        messages = decode_packet(data)
    except PacketError as e:
        return [BadRequest("malformed", f"malformed OSC packet ({len(data)} bytes): {e}")]
    if not messages:
        return [BadRequest("malformed", "empty OSC bundle")]
    return [_request(address, params, sender) for address, params in messages]


def _request(address: str, params: list, sender: tuple[str, int]) -> Request | BadRequest:
    spec = REQUESTS.get(address)
    if spec is None:
        shown = address if len(address) <= 80 else address[:80] + "…"
        return BadRequest("unknown_address", f"unknown address {shown!r}; see /soundalike/* in docs/osc.md")
    params = _id_alone(spec, params)
    request_id = _guess_id(spec, params)
    try:
        return Request(address, validate(spec, params), sender, request_id)
    except ValueError as e:
        return BadRequest("bad_arguments", f"{address.removeprefix(PREFIX + '/')}: {e}", request_id, address)


def _id_alone(spec: tuple[Arg, ...], params: list) -> list:
    """A lone number where an optional string comes first is the id: Pd cannot send an empty string,
    so ``/soundalike/random 7`` from Pd means "any tag, id 7"."""
    if (
        len(spec) == 2
        and spec[1] is ID
        and not spec[0].required
        and spec[0].kind != "int"
        and len(params) == 1
        and _int_or_none(params[0]) is not None
    ):
        return ["", params[0]]
    return params


def _guess_id(spec: tuple[Arg, ...], params: list) -> int:
    """The request id, read before validation so even a bad request's error names it."""
    names = [a.name for a in spec]
    if "id" not in names or len(params) <= names.index("id"):
        return 0 if len(params) <= len(spec) else UNKNOWN_ID
    found = _int_or_none(params[names.index("id")])
    return found if found is not None else UNKNOWN_ID


def validate(spec: tuple[Arg, ...], params: list) -> dict[str, Any]:
    """Check counts, types and ranges; returns name -> value (optional args left out absent)."""
    required = sum(1 for a in spec if a.required)
    if not required <= len(params) <= len(spec):
        wanted = " ".join(a.name if a.required else f"[{a.name}]" for a in spec)
        raise ValueError(f"takes {wanted}, got {len(params)} argument(s)")
    converted = {arg.name: _convert(arg, value) for arg, value in zip(spec, params)}
    return {name: value for name, value in converted.items() if value is not _DEFAULT}


_DEFAULT = object()  # an optional argument given as "" (Pd and Max cannot leave one out and give a later one)


def _convert(arg: Arg, value: Any) -> Any:
    if arg.kind == "int" and not arg.required and isinstance(value, str) and not value.strip():
        return _DEFAULT
    if arg.kind == "int":
        number = _int_or_none(value)
        if number is None:
            raise ValueError(f"{arg.name} must be an int, got {_describe(value)}")
        if not arg.low <= number <= arg.high:
            raise ValueError(f"{arg.name} must be between {arg.low} and {arg.high}, got {number}")
        return number
    if arg.kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise ValueError(f"{arg.name} must be a number, got {_describe(value)}")
    if arg.kind == "value":
        if isinstance(value, str) and len(value) > MAX_PATH_BYTES:
            raise ValueError(f"{arg.name} is longer than {MAX_PATH_BYTES} characters")
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return value
        raise ValueError(f"{arg.name} must be a string or a number, got {_describe(value)}")
    if not isinstance(value, str):
        raise ValueError(f"{arg.name} must be a string, got {_describe(value)}")
    return _checked_string(arg, value)


def _checked_string(arg: Arg, value: str) -> str:
    if arg.kind == "path":
        if not value.strip():
            raise ValueError(f"{arg.name} is empty")
        if len(value.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
            raise ValueError(f"{arg.name} is longer than {MAX_PATH_BYTES} bytes")
        return normalise_path(value)
    limit = MAX_TEXT_CHARS if arg.kind == "text" else MAX_WORD_CHARS
    if len(value) > limit:
        raise ValueError(f"{arg.name} is longer than {limit} characters")
    if arg.kind == "text" and not value.strip():
        raise ValueError(f"{arg.name} is empty")
    return value.strip()


def _int_or_none(value: Any) -> int | None:
    """Ints, and whole floats (Pd and some Max objects send every number as a float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


_SHORT = reprlib.Repr()  # reprlib caps nesting (maxlevel), so a deep value cannot overflow the stack
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxtuple, _SHORT.maxstring = 2, 4, 4, 40


def _describe(value: Any) -> str:
    """A value for an error message: short, whatever its size or nesting."""
    if isinstance(value, str):
        return f"string {value[:40]!r}"
    return f"{type(value).__name__} {_SHORT.repr(value)}"[:60]


_MAX_VOLUME = re.compile(r"^[^/:\\]+:(/.*)$")  # Max's "Macintosh HD:/Users/me/kick.wav"


def normalise_path(text: str) -> str:
    """Accept the path spellings hosts send: plain, ``file://`` URLs and Max's ``Volume:/path``."""
    text = text.strip()
    if text.startswith("file://"):
        return unquote(urlparse(text).path)
    match = _MAX_VOLUME.match(text)
    if match and os.name != "nt":
        return match.group(1)
    return os.path.expanduser(text)
