"""A waveform drawn with block characters: the peak envelope of a sound, ``height`` rows tall."""

from __future__ import annotations

import numpy as np

BLOCKS = " ▁▂▃▄▅▆▇█"


def peaks(audio: np.ndarray, columns: int) -> np.ndarray:
    """Peak absolute level of ``columns`` equal slices of ``audio``, scaled to 0..1 (square-root)."""
    if columns <= 0 or audio.size == 0:
        return np.zeros(max(columns, 0))
    edges = np.linspace(0, audio.size, columns + 1).astype(int)
    level = np.array([np.abs(audio[a:b]).max() if b > a else 0.0 for a, b in zip(edges[:-1], edges[1:])])
    top = level.max()
    return np.sqrt(level / top) if top > 0 else level


def draw(levels: np.ndarray, height: int) -> list[str]:
    """Rows of text, top first, each ``len(levels)`` characters wide."""
    eighths = np.round(np.asarray(levels) * height * 8).astype(int)
    rows = []
    for row in range(height - 1, -1, -1):
        cells = np.clip(eighths - row * 8, 0, 8)
        rows.append("".join(BLOCKS[c] for c in cells))
    return rows


def render(audio: np.ndarray, width: int, height: int) -> list[str]:
    return draw(peaks(audio, width), height)
