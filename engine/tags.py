"""How sure a tag is, and how an unsure one is shown.

Every tag a backend stores carries a score in 0..1 (the built-in backend's is its ensemble's class
posterior). A tag scored below the confidence threshold (``[engine] tag_confidence``) is *unsure*:
it is shown with a question mark ("hand drum?") and does not count where a wrong kind costs more
than no kind: the kit builder's slots, the drum map's kinds and the tag filters.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The default threshold. On sources no model trained on, the built-in backend's best tag scored at least
#: this was right for 88 % of the sounds (72-74 % of them sure), against 77-84 % at 0.5 (BENCHMARKS.md).
TAG_CONFIDENCE = 0.7
UNSURE_MARK = "?"


def is_sure(score: float, threshold: float = TAG_CONFIDENCE) -> bool:
    return score >= threshold


def tag_label(tag: str, score: float, threshold: float = TAG_CONFIDENCE) -> str:
    """The tag as shown: ``"hand drum"`` when sure, ``"hand drum?"`` when not."""
    return tag if is_sure(score, threshold) else tag + UNSURE_MARK


def scored_labels(
    scores: Mapping[str, float], threshold: float = TAG_CONFIDENCE, limit: int = 5, floor: float = 0.0
) -> list[str]:
    """``"kick 0.91"``, ``"tom? 0.31"``: the best ``limit`` tags scored at least ``floor``, best first."""
    ranked = sorted(scores.items(), key=lambda item: -item[1])[:limit]
    return [f"{tag_label(tag, score, threshold)} {score:.2f}" for tag, score in ranked if score >= floor]
