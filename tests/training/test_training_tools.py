"""The training script scores exactly the vectors users get (``soundalike embed``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

TRAINING = Path(__file__).resolve().parents[2] / "training"
pytest.importorskip("sklearn")
sys.path.insert(0, str(TRAINING))
from builtin_fit import combine, retrieval_scores  # noqa: E402

from soundalike.engine.embedders.builtin import BuiltinEmbedder  # noqa: E402
from soundalike.engine.embedders.builtin_features import extract_batch  # noqa: E402
from soundalike.engine.embedders.builtin_frames import MelFrames, frames_batch  # noqa: E402
from soundalike.engine.tools.evaluation import evaluate  # noqa: E402


def _clips(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(8000)
    return [
        (
            rng.standard_normal(len(t)) * np.exp(-t / (200 * (i + 1))) + np.sin(2 * np.pi * (60 + 40 * i) * t / 22050)
        ).astype(np.float32)
        for i in range(n)
    ]


def test_training_weights_aspects_as_the_library_ranks_them():
    embedder = BuiltinEmbedder()
    clips = _clips(8)
    features, frames = extract_batch(clips), frames_batch(clips, MelFrames())
    trained = combine(embedder.model.aspects(features, frames), dict(embedder.default_weights))
    shipped = embedder.ranking_vectors(embedder.analyse_features(features, frames).vectors)
    np.testing.assert_allclose(shipped, embedder.ranking_vectors(embedder.analyse(clips).vectors), atol=1e-5)
    unit = [m / np.linalg.norm(m, axis=1, keepdims=True) for m in (trained, shipped)]
    np.testing.assert_allclose(unit[0] @ unit[0].T, unit[1] @ unit[1].T, atol=1e-5)


def test_training_metric_is_the_team_metric():
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((30, 6))
    labels = rng.choice(["kick", "snare", "hat"], 30)
    groups = np.repeat(["A", "B", "C"], 10)
    ours, engine = retrieval_scores(vectors, labels, groups), evaluate(vectors, labels, groups)
    assert ours["P@10"] == pytest.approx(engine.precision_at_k)
    assert ours["top1"] == pytest.approx(engine.top1)
    assert ours["mAP"] == pytest.approx(engine.mean_ap)


def test_heldout_estimate_scales_misses_by_the_reference_ratio():
    from estimate_heldout import implied

    # The reference misses 60% on dev and 40% held out: held-out misses are 2/3 of dev misses.
    assert implied(0.70, ref_dev=0.40, ref_heldout=0.60) == pytest.approx(0.80)
    # A reference that does as well on both sets leaves the figure unchanged.
    assert implied(0.70, ref_dev=0.55, ref_heldout=0.55) == pytest.approx(0.70)
