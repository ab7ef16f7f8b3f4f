"""Drums get no root note: the cheap gate that spares drum one-shots the pitch search at index time.

The built-in backend has already tagged each file when the musical analysis runs; a file whose
drum tags (every tag but "bell" and "other") add up to at least :data:`MIN_DRUM_SHARE` is a drum.
The analysis then calls a short, decaying one of them a one-shot without looking for a pitch
(kind, tempo and key work is unchanged: a drum loop still goes through it). On the real drums
that is 207 of 235 files; no rendered tonal one-shot (bass, piano, strings, brass) scores that
high (the highest, a GM bass, 0.97), which is why the bar sits at 0.99 (bench/bench_musical.py).
Cowbells are tagged "bell" and keep their note. A name that says anything musical (a key, a
note, a tempo, "loop", or a pitched instrument: "bass_punch", "violin_pizzicato", which the tags
call a kick and a hand drum) turns the gate off for that file (soundalike.engine.musical.names).
"""

from __future__ import annotations

from collections.abc import Mapping

#: The built-in backend's tags that are drums (soundalike.engine.embedders.builtin.TAG_NAMES but bell, other).
DRUM_TAGS = ("kick", "snare", "clap", "closed hat", "open hat", "tom", "cymbal", "rim", "shaker", "hand drum")
#: Share of the tags' weight on drum tags from which a file is taken for a drum.
MIN_DRUM_SHARE = 0.99
#: The backend whose tags are read.
TAGGER = "builtin"


def drum_reason(tags: Mapping[str, Mapping[str, float]] | None) -> str | None:
    """Why a file counts as a drum ("drum (built-in tags: kick 0.98)"), or None when it does not
    (no built-in tags, or less than :data:`MIN_DRUM_SHARE` of their weight on drums)."""
    scores = (tags or {}).get(TAGGER)
    if not scores:
        return None
    total = sum(scores.values())
    share = sum(scores.get(name, 0.0) for name in DRUM_TAGS) / total if total > 0 else 0.0
    if share < MIN_DRUM_SHARE:
        return None
    best = max(DRUM_TAGS, key=lambda name: scores.get(name, 0.0))
    return f"drum (built-in tags: {best} {scores[best]:.2f}, drums {share:.2f})"
