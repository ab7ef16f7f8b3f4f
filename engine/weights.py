"""Aspect weights as people type them: ``timbre`` or ``timbre=1,envelope=0.5``.

One parser for every entry point (the CLI's ``--aspect``, the bridge's ``set aspect``), so both
accept and refuse the same text. Which aspect names exist is the backend's to say
(``Embedder.query_vector``); this checks only the shape.
"""

from __future__ import annotations

import math

from soundalike.engine.errors import QueryError


def parse_weights(text: str | None) -> dict[str, float] | None:
    """'timbre' -> {'timbre': 1.0}; 'timbre=1,envelope=0.5' -> both; '' or None -> None (the
    backend's default weights). QueryError for an empty name, a weight that is not a finite number
    of zero or more, or a name given twice."""
    if not text or not text.strip():
        return None
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, equals, number = (piece.strip() for piece in part.partition("="))
        weight = _weight(number) if equals else 1.0
        if not name or weight is None:
            raise QueryError(f"aspect: {part.strip()!r} is not NAME or NAME=WEIGHT (e.g. timbre=1,envelope=0.5)")
        if name in weights:
            raise QueryError(f"aspect: {name!r} is given twice")
        weights[name] = weight
    return weights


def _weight(number: str) -> float | None:
    try:
        weight = float(number)
    except ValueError:
        return None
    return weight if math.isfinite(weight) and weight >= 0 else None
