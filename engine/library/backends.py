"""A library's backends: one embedder per backend name, made on first use and kept.

Getting an embedder writes nothing. Recording which model made a backend's stored vectors (and
dropping them when the model changed) is a separate, explicit step of the writer
(:meth:`soundalike.engine.library.indexes.LibraryIndexes.adopt`), taken under the library lock.
"""

from __future__ import annotations

import threading

from soundalike.engine.config import Settings
from soundalike.engine.embedders.base import Embedder
from soundalike.engine.embedders.registry import Registry, create_embedder


class LibraryBackends:
    def __init__(self, settings: Settings, registry: Registry):
        self.settings = settings
        self.registry = registry
        self._embedders: dict[str, Embedder] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Embedder:
        """The embedder of backend ``name`` (UserError when it cannot be made: bad options, no extra)."""
        with self._lock:
            if name not in self._embedders:
                self._embedders[name] = create_embedder(name, self.settings.backends.get(name), self.registry)
            return self._embedders[name]

    def enabled(self) -> dict[str, Embedder]:
        """Every backend ``[engine] backends`` enables, by name."""
        return {name: self.get(name) for name in self.settings.engine.backends}

    def can_embed_text(self, name: str) -> bool:
        return callable(getattr(self.registry.get(name), "embed_text", None))

    def close(self) -> None:
        with self._lock:
            for embedder in self._embedders.values():
                embedder.close()
