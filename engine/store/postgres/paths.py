"""Named roots: how one shared catalog holds paths that differ per machine.

The share is ``/Volumes/Samples`` on one machine and ``/mnt/samples`` on another, so the catalog
stores a path under a named root as ``NAME:`` and the rest of the path (``samples:/Kit/kick.wav``),
and each machine maps every name to its own folder (``[store] roots = ["samples=/mnt/samples"]``,
or the folder this machine registered under that name). A path under no named root is stored as it
is (absolute). Everything that leaves the store is a local path again; a stored path whose root
this machine does not map has no local path (:meth:`PathMap.local` answers None): those samples
are not playable here and the store leaves them out of what it lists.

The stored form keeps the order of paths below a root and never holds a ``/`` before the rest, so
a folder's stored form is a prefix of its files' and the range queries over folders still work.
"""

from __future__ import annotations

import dataclasses
import os
import re

from soundalike.engine.store.rows import SoundFacts

_NAMED = re.compile(r"^([^/:]+):(/.*)?$", re.DOTALL)


def root_name(folder: str) -> str:
    """A root's name made from its folder's name (no ``:`` or ``/``, which the stored form uses)."""
    return re.sub(r"[:/=]+", "-", os.path.basename(folder.rstrip(os.sep))).strip() or "root"


class PathMap:
    """This machine's folder of each named root: local paths to stored ones and back."""

    def __init__(self, named: dict[str, str]):
        self.named = {name: path.rstrip(os.sep) or os.sep for name, path in named.items()}

    def add(self, name: str, folder: str) -> None:
        # a new dict, not a change to the old one: other threads may be reading it
        self.named = {**self.named, name: folder.rstrip(os.sep) or os.sep}

    def name_of(self, local: str) -> str | None:
        """The named root ``local`` is in (the deepest one), or None."""
        best, best_len = None, -1
        for name, folder in self.named.items():
            if (local == folder or local.startswith(folder.rstrip(os.sep) + os.sep)) and len(folder) > best_len:
                best, best_len = name, len(folder)
        return best

    def stored(self, local: str) -> str:
        """How ``local`` is kept in the catalog: ``NAME:/rest`` under a named root, else itself."""
        name = self.name_of(local)
        if name is None:
            return local
        rest = local[len(self.named[name]) :]
        if self.named[name] == os.sep:
            rest = os.sep + rest if rest else ""
        return f"{name}:{rest}"

    def local(self, stored: str) -> str | None:
        """The local path of a stored one; None when its root is not mapped on this machine."""
        found = _NAMED.match(stored)
        if found is None:
            return stored
        folder = self.named.get(found.group(1))
        if folder is None:
            return None
        rest = found.group(2) or ""
        return (folder.rstrip(os.sep) + rest) if rest else folder

    def visible_roots(self) -> list[str]:
        """The stored form of each root mapped here (``NAME:``)."""
        return [f"{name}:" for name in self.named]

    def layer(self, layer_name: str, to_stored: bool) -> str:
        """A layer name (folder NUL name) with its folder mapped like a path."""
        folder, sep, rest = layer_name.partition("\0")
        if not sep:
            return layer_name
        mapped = self.stored(folder) if to_stored else self.local(folder)
        return f"{mapped if mapped is not None else folder}{sep}{rest}"

    def local_facts(self, facts: dict[int, SoundFacts]) -> dict[int, SoundFacts]:
        """``facts`` with each layer name's folder as this machine's path."""
        return {
            sid: dataclasses.replace(f, layer_name=self.layer(f.layer_name, to_stored=False))
            for sid, f in facts.items()
        }


def is_named(stored: str) -> bool:
    return _NAMED.match(stored) is not None


def name_of_stored(stored: str) -> str | None:
    found = _NAMED.match(stored)
    return found.group(1) if found else None
