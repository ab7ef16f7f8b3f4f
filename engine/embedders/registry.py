"""Name-keyed registry of embedding backends, built-in and neural alike."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from soundalike.engine.embedders.base import Embedder
from soundalike.engine.embedders.builtin import BuiltinEmbedder
from soundalike.engine.embedders.neural import NEURAL_BACKENDS
from soundalike.engine.errors import UserError

log = logging.getLogger(__name__)

BACKENDS: dict[str, type[Embedder]] = {cls.name: cls for cls in (BuiltinEmbedder, *NEURAL_BACKENDS)}


Registry = Mapping[str, type[Embedder]]


def backend_class(name: str, backends: Registry = BACKENDS) -> type[Embedder]:
    try:
        return backends[name]
    except KeyError:
        raise UserError(f"unknown backend {name!r}; valid backends: {', '.join(sorted(backends))}") from None


def check_names(names, backends: Registry = BACKENDS) -> None:
    """Fail at start-up, listing the valid names, when config names a backend that does not exist."""
    for name in names:
        backend_class(name, backends)


def create_embedder(name: str, options: Mapping[str, Any] | None = None, backends: Registry = BACKENDS) -> Embedder:
    """Instantiate a backend from its ``[backends.<name>]`` table (raises UserError on bad options)."""
    cls = backend_class(name, backends)
    options = dict(options or {})
    options_cls = getattr(cls, "Options", None)
    if options_cls is None:
        if options:
            raise UserError(f"[backends.{name}] takes no settings, got {sorted(options)}")
        return cls()
    valid = {f.name for f in dataclasses.fields(options_cls)}
    unknown = set(options) - valid
    if unknown:
        raise UserError(f"[backends.{name}]: unknown setting(s) {sorted(unknown)}; valid: {sorted(valid)}")
    configurable: Callable[[Any], Embedder] = cls  # a backend with Options takes them in its constructor
    return configurable(options_cls(**options))
