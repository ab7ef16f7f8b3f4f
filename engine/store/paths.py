"""How a store's paths cross: this machine's own in and out, as the catalog keeps them inside.

A store of one machine (SQLite) keeps paths as they are (:class:`AsTheyAre`); a shared one keeps
them by named root, mapped to each machine's own folder
(:class:`~soundalike.engine.store.postgres.paths.PathMap`). The shared store code
(:mod:`.shared_catalog`, :mod:`.shared_store`, :mod:`.shared_transaction`) maps every path and
layer name through the store's :class:`Paths`.
"""

from __future__ import annotations

from typing import Protocol

from soundalike.engine.store.rows import SoundFacts


class Paths(Protocol):
    """How a store's paths cross: this machine's own in and out, as the catalog keeps them inside."""

    def stored(self, local: str) -> str:
        """How this machine's path ``local`` is kept in the catalog."""

    def local(self, stored: str) -> str | None:
        """This machine's path of a stored one; None when it has none (the sample is not playable here)."""

    def layer(self, layer_name: str, to_stored: bool) -> str:
        """A layer name (folder NUL name) with its folder mapped like a path."""

    def local_facts(self, facts: dict[int, SoundFacts]) -> dict[int, SoundFacts]:
        """Copy and layer facts with each layer name's folder as this machine's path."""


class AsTheyAre:
    """The paths of a store of one machine (SQLite): kept in the catalog as they are."""

    def stored(self, local: str) -> str:
        return local

    def local(self, stored: str) -> str | None:
        return stored

    def layer(self, layer_name: str, to_stored: bool) -> str:
        return layer_name

    def local_facts(self, facts: dict[int, SoundFacts]) -> dict[int, SoundFacts]:
        return facts
