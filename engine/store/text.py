"""Text in and out of the catalog, losslessly, and file names shown readably.

A file name on Linux is bytes; Python hands names that are not valid UTF-8 (common on drives
written by other systems) to us as ``str`` with each stray byte "surrogate-escaped" (``\\udcff``).
SQLite stores UTF-8 text and refuses such strings, so every ``str`` crossing into the catalog goes
through :func:`to_db`, a reversible escape that leaves ordinary text unchanged (existing catalogs
need no migration), and every text value read back through :func:`from_db`:

* a lone surrogate ``s`` becomes ``ESCAPE + chr(0x100 + ord(s) - 0xD800)``;
* ``ESCAPE`` itself (U+FFFF, a Unicode noncharacter no real name uses) becomes ``ESCAPE * 2``;
* where the database refuses NUL (PostgreSQL), ``\\0`` becomes ``ESCAPE + NUL_MARK``.

The escape works character by character and never produces ``/``, so a folder's escaped name is a
prefix of its files' escaped names and the catalog's range queries over folders still work.
"""

from __future__ import annotations

import os

ESCAPE = "\uffff"
_SURROGATES = range(0xD800, 0xE000)
#: After ESCAPE, a NUL (PostgreSQL text cannot hold one; the layer names the copy facts keep have one).
NUL_MARK = "\u0900"


def to_db(text: str) -> str:
    """``text`` as it is stored: unchanged unless it holds lone surrogates or the escape."""
    if text.isascii():
        return text
    if ESCAPE not in text:
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:
            pass
    out = []
    for char in text:
        if char == ESCAPE:
            out.append(ESCAPE * 2)
        elif ord(char) in _SURROGATES:
            out.append(ESCAPE + chr(0x100 + ord(char) - 0xD800))
        else:
            out.append(char)
    return "".join(out)


def from_db(raw: bytes) -> str:
    """The ``text_factory``: stored UTF-8 back to the ``str`` that was written."""
    text = str(raw, "utf-8", "surrogateescape")
    return text if ESCAPE not in text else unescape(text)


def unescape(text: str) -> str:
    out, chars = [], iter(text)
    for char in chars:
        if char != ESCAPE:
            out.append(char)
            continue
        following = next(chars, ESCAPE)
        if following == ESCAPE:
            out.append(ESCAPE)
        elif following == NUL_MARK:
            out.append("\0")
        else:
            out.append(chr(ord(following) - 0x100 + 0xD800))
    return "".join(out)


def readable(path: str) -> str:
    """A file name for one line of output: stray bytes as ``\\xff``, control characters escaped."""
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "backslashreplace")
    shown = raw.decode("utf-8", "backslashreplace")
    if shown.isprintable():
        return shown
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in shown)


def utf8_or_readable(path: str) -> str:
    """``path`` itself when it can be sent as UTF-8 (OSC strings must be), else its readable form."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return readable(path)


def subtree_range(folder: str) -> tuple[str, str]:
    """[low, high) of the paths below ``folder``, so the path index answers a prefix query."""
    prefix = folder.rstrip(os.sep) + os.sep
    return prefix, prefix[:-1] + chr(ord(os.sep) + 1)
