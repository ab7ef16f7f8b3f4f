"""Measure how well a backend finds "the same kind of sound" on a labelled set of files.

The metric is the team's: for each query, rank every sound from *other* groups (kits) by cosine
similarity; a hit is a sound with the same label. Precision@k, top-1 and mAP are averaged over
queries that have at least one same-label sound in another group.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from soundalike.engine.errors import UserError


@dataclass(frozen=True)
class LabelledFile:
    path: str
    group: str
    label: str


@dataclass
class Evaluation:
    precision_at_k: float
    top1: float
    mean_ap: float
    queries: int
    k: int
    # What a perfect embedding would score: a label with fewer than k sounds in other groups caps P@k.
    best_precision_at_k: float = 1.0
    per_label: dict[str, dict[str, float]] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)  # (label, taken for, count)


def evaluate(vectors: np.ndarray, labels, groups, k: int = 10) -> Evaluation:
    """Cross-group retrieval quality of ``vectors`` (rows with NaN must be dropped by the caller)."""
    emb = np.asarray(vectors, dtype=np.float64)
    emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12)
    labels, groups = np.asarray(labels), np.asarray(groups)
    sims = emb @ emb.T
    per_query: list[tuple[str, float, float, float, float]] = []
    confusions: Counter = Counter()
    for i in range(len(emb)):
        others = np.where(groups != groups[i])[0]
        order = others[np.argsort(-sims[i, others], kind="stable")]
        relevant = (labels[order] == labels[i]).astype(np.float64)
        if relevant.sum() == 0:
            continue
        precision = np.cumsum(relevant) / np.arange(1, len(relevant) + 1)
        average_precision = float((precision * relevant).sum() / relevant.sum())
        best = min(k, relevant.sum()) / k
        per_query.append((str(labels[i]), relevant[:k].mean(), relevant[0], average_precision, best))
        if not relevant[0]:
            confusions[(str(labels[i]), str(labels[order[0]]))] += 1
    if not per_query:
        raise UserError("no query has a same-label sound in another group: need at least two groups per label")
    return Evaluation(
        precision_at_k=float(np.mean([q[1] for q in per_query])),
        top1=float(np.mean([q[2] for q in per_query])),
        mean_ap=float(np.mean([q[3] for q in per_query])),
        queries=len(per_query),
        k=k,
        best_precision_at_k=float(np.mean([q[4] for q in per_query])),
        per_label=_per_label(per_query),
        confusions=[(a, b, n) for (a, b), n in confusions.most_common(10)],
    )


def _per_label(per_query) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for label in sorted({q[0] for q in per_query}):
        rows = [q for q in per_query if q[0] == label]
        table[label] = {
            "queries": len(rows),
            "precision_at_k": float(np.mean([r[1] for r in rows])),
            "top1": float(np.mean([r[2] for r in rows])),
            "mean_ap": float(np.mean([r[3] for r in rows])),
            "best_precision_at_k": float(np.mean([r[4] for r in rows])),
        }
    return table


def read_labelled(source: str | os.PathLike, extensions: tuple[str, ...]) -> list[LabelledFile]:
    """A TSV (path, group, [name,] label: the last column is the label) or a labelled folder.

    In a folder, each first-level sub-folder is a label; a second-level sub-folder, when there is
    one, names the group (a kit or pack: ``kick/808/`` and ``snare/808/`` are one group), so
    neighbours from the same pack do not count. Without it, each file is its own group.
    """
    source = Path(source)
    if source.is_file():
        return _read_tsv(source)
    if not source.is_dir():
        raise UserError(f"{source} is neither a labels TSV nor a folder")
    files = []
    for path in sorted(source.rglob("*")):
        parts = path.relative_to(source).parts
        if path.is_file() and len(parts) >= 2 and path.suffix.lower() in extensions:
            group = parts[1] if len(parts) >= 3 else str(path)
            files.append(LabelledFile(str(path), group, parts[0]))
    if not files:
        raise UserError(f"{source} holds no labelled audio: expected LABEL/[GROUP/]file.wav")
    return files


def _read_tsv(path: Path) -> list[LabelledFile]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row and row[0].strip()]
    if any(len(row) < 3 for row in rows):
        raise UserError(f"{path}: every line needs at least path, group and label, separated by tabs")
    base = path.parent
    return [LabelledFile(str(base / row[0]) if not os.path.isabs(row[0]) else row[0], row[1], row[-1]) for row in rows]
