"""Where results may come from, relative to the query: the one meaning of "other folders only"
and "other packs" that the CLI, OSC and the app share.

A sample's pack is the first folder below its root (the kit or pack it came in), or its folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

#: The app cycles through these (``w``); the CLI and OSC take the same names.
SCOPES = ("everywhere", "other packs", "other folders", "same pack")
#: Scopes that leave a folder out (rather than keep to one).
LEAVING_OUT = ("other packs", "other folders")


def pack_of(path: str, root: str) -> str:
    """The first folder below ``root`` holding ``path`` (its pack), or its folder."""
    relative = os.path.relpath(path, root)
    first = relative.split(os.sep)[0]
    return os.path.join(root, first) if os.sep in relative and not first.startswith("..") else os.path.dirname(path)


def root_of(path: str, roots: Sequence[str]) -> str:
    """The longest of ``roots`` holding ``path`` (its folder when none does)."""
    inside = [r for r in roots if path.startswith(r.rstrip(os.sep) + os.sep)]
    return max(inside, key=len) if inside else os.path.dirname(path)


def folder_left_out(scope: str, path: str, roots: Sequence[str]) -> str | None:
    """The folder whose samples are not results in ``scope`` for a query at ``path``: its own
    folder ("other folders"), its pack ("other packs"), none ("everywhere")."""
    path = os.path.abspath(path)
    if scope == "other folders":
        return os.path.dirname(path)
    if scope == "other packs":
        return pack_of(path, root_of(path, roots))
    if scope in ("everywhere", "same pack", ""):
        return None
    raise ValueError(f"scope takes one of {', '.join(('everywhere', *LEAVING_OUT))}, got {scope!r}")
