"""Feature extraction in parallel, model fitting and retrieval scoring for the built-in embedder."""

from __future__ import annotations

import logging
import multiprocessing as mp
import warnings

import numpy as np
from builtin_data import augment
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from soundalike.engine.embedders.builtin import BuiltinModel
from soundalike.engine.embedders.builtin_features import FEATURE_DIM, SAMPLE_RATE, FeatureExtractor, block_slices

log = logging.getLogger(__name__)

TIMBRE_COMPONENTS = 32


def _features_for(task) -> np.ndarray:
    clip, seed, index, n_aug = task
    extractor = FeatureExtractor()
    if clip is None:
        return np.full((1 + n_aug, FEATURE_DIM), np.nan, dtype=np.float32)
    rng = np.random.default_rng([seed, index])
    clip = clip[: int(2.5 * SAMPLE_RATE)]  # features read 2 s; keep a little for pitch shifts
    variants = [clip] + [augment(clip, rng) for _ in range(n_aug)]
    return np.stack([extractor(v) for v in variants])


def featurise(audio: list, n_aug: int, seed: int, workers: int = 2) -> np.ndarray:
    """(N, 1 + n_aug, FEATURE_DIM): the clean clip, then n_aug augmented variants, per input."""
    tasks = [(clip, seed, i, n_aug) for i, clip in enumerate(audio)]
    if workers <= 1:
        return np.stack([_features_for(t) for t in tasks])
    with mp.get_context("fork").Pool(workers) as pool:
        return np.stack(pool.map(_features_for, tasks, chunksize=32))


def class_weights(labels: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
    """Weights that give every class the same total, times an optional per-row factor."""
    names, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    weights = (len(labels) / (len(names) * counts))[inverse]
    if extra is not None:
        weights = weights * extra
    return weights / weights.mean()


def fit_model(
    features: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    seed: int,
    hidden: tuple[int, ...] = (256, 32),
    alpha: float = 1e-3,
    epochs: int = 30,
    n_models: int = 5,
    temperature: float = 2.0,
    hidden_weight: float = 0.5,
) -> dict[str, np.ndarray]:
    """Fit standardiser, an ensemble of MLPs and the timbre basis; return the runtime's arrays."""
    mean = features.mean(axis=0)
    scale = np.maximum(features.std(axis=0), 1e-3)
    z = np.clip((features - mean) / scale, -8.0, 8.0)
    arrays: dict[str, np.ndarray] = {
        "mean": mean.astype(np.float32),
        "scale": scale.astype(np.float32),
        "n_models": np.array(n_models),
        "n_layers": np.array(len(hidden) + 1),
        "temperature": np.array(temperature),
        "hidden_weight": np.array(hidden_weight),
    }
    for k in range(n_models):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp = MLPClassifier(
                hidden_layer_sizes=hidden,
                alpha=alpha,
                batch_size=256,
                learning_rate_init=1e-3,
                max_iter=epochs,
                random_state=seed + k,
                tol=0.0,
                n_iter_no_change=epochs,
            )
            mlp.fit(z, labels, sample_weight=weights)
        arrays["classes"] = np.array(mlp.classes_)
        for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
            # float16 keeps the shipped file small; the runtime computes in float32.
            arrays[f"m{k}_W{i}"], arrays[f"m{k}_b{i}"] = w.astype(np.float16), b.astype(np.float32)
    arrays["timbre_basis"] = timbre_basis(z[:, block_slices()["timbre"]], seed)
    return arrays


def timbre_basis(z: np.ndarray, seed: int) -> np.ndarray:
    """Principal axes of the standardised timbre block (unsupervised), whitened to unit variance."""
    rng = np.random.default_rng(seed)
    sample = z[rng.permutation(len(z))[:8000]]
    sample = sample - sample.mean(axis=0)
    _, sing, vt = np.linalg.svd(sample, full_matrices=False)
    std = sing[:TIMBRE_COMPONENTS] / np.sqrt(len(sample))
    return (vt[:TIMBRE_COMPONENTS].T / np.maximum(std, 1e-6)).astype(np.float32)


def aspects(arrays: dict[str, np.ndarray], features: np.ndarray) -> dict[str, np.ndarray]:
    return BuiltinModel.from_arrays(arrays).aspects(np.nan_to_num(features))


def combine(parts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Whole vector whose cosine ranks as ``similar`` does with these aspect weights.

    ``similar`` scores the weighted sum of per-aspect cosines, so each aspect is scaled by the
    square root of its weight, exactly as ``Embedder.ranking_vectors`` (and ``soundalike embed``) do.
    """
    cols = [
        parts[name] * np.sqrt(weights.get(name, 0.0))
        for name in ("overall", "timbre", "envelope", "pitch", "frames")
        if name in parts
    ]
    return np.concatenate(cols, axis=1)


def retrieval_scores(emb: np.ndarray, classes, groups, queries=None, k: int = 10) -> dict[str, float]:
    """The team's cross-group metric (metrics.evaluate), optionally only over some query rows."""
    emb = np.asarray(emb, dtype=np.float64)
    emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12)
    classes, groups = np.asarray(classes), np.asarray(groups)
    sims = emb @ emb.T
    rows = range(len(emb)) if queries is None else np.flatnonzero(queries)
    p_at_k, top1, aps = [], [], []
    for i in rows:
        others = np.flatnonzero(groups != groups[i])
        order = others[np.argsort(-sims[i, others], kind="stable")]
        rel = (classes[order] == classes[i]).astype(np.float64)
        if rel.sum() == 0:
            continue
        p_at_k.append(rel[:k].mean())
        top1.append(rel[0])
        aps.append(float((np.cumsum(rel) / np.arange(1, len(rel) + 1) * rel).sum() / rel.sum()))
    return {
        f"P@{k}": float(np.mean(p_at_k)),
        "top1": float(np.mean(top1)),
        "mAP": float(np.mean(aps)),
        "queries": len(p_at_k),
    }


def pooled(results: list[dict]) -> dict[str, float]:
    """Query-weighted mean of several retrieval_scores results."""
    total = sum(r["queries"] for r in results)
    out = {key: sum(r[key] * r["queries"] for r in results) / total for key in ("P@10", "top1", "mAP")}
    out["queries"] = total
    return out
