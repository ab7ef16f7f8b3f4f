"""Tag confidence: how a tag is shown when the backend is unsure of it."""

from __future__ import annotations

from soundalike.engine.config import EngineSettings
from soundalike.engine.tags import TAG_CONFIDENCE, is_sure, scored_labels, tag_label


def test_an_unsure_tag_is_shown_with_a_question_mark():
    assert tag_label("hand drum", 0.42) == "hand drum?"
    assert tag_label("hand drum", 0.7) == "hand drum"
    assert tag_label("tom", 0.3, threshold=0.25) == "tom"
    assert not is_sure(0.69) and is_sure(0.7)


def test_scored_labels_rank_best_first_and_mark_the_unsure():
    scores = {"tom": 0.3, "hand drum": 0.45, "snare": 0.05, "kick": 0.2}
    assert scored_labels(scores, limit=3) == ["hand drum? 0.45", "tom? 0.30", "kick? 0.20"]
    assert scored_labels({"kick": 0.9, "tom": 0.1}, floor=0.2) == ["kick 0.90"]


def test_the_threshold_is_a_setting_with_the_documented_default():
    assert EngineSettings().tag_confidence == TAG_CONFIDENCE == 0.7
