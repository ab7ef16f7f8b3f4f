"""An evaluation that earns trust: whole sources no model trained on, re-weighted to the held-out class mix.

The queries are the sounds of ``heldout_sources.py`` (the csound GM kits, the OPL3 FM kit, exadrums,
stk): no shipped model, and no model trained by ``train_frames.py``, has seen them. Two galleries:

* ``held-out``: those sounds only, neighbours from other groups (each soundfont is one group), as the
  team's run scores its 14 kits among themselves;
* ``+ seen``: the same queries against those sounds *and* every real source the models train on
  (``pooled_eval.eval_pool``: dev kits, Sonic Pi, FreePats, Red Zeppelin, the soundfont kits).

Per class it prints queries, P@10, top-1 and tag accuracy (the best tag the user sees, hats as one,
bell and hand apart) and, overall, the per-class figures re-weighted to the team's held-out class mix
(619 sounds). The two models the team measured are scored first (0303c91 and 18cf80f, taken from git),
so the difference from the team's figures is this evaluation's measured error.

    .venv/bin/python training/heldout_eval.py --devset /work/data/devset/devset.tsv [--frames MODEL.npz]
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "training")]

from builtin_data import Clips  # noqa: E402
from builtin_fit import combine  # noqa: E402
from heldout_sources import heldout_pool  # noqa: E402
from pooled_eval import eval_pool  # noqa: E402

from soundalike.engine.embedders.base import unit_rows  # noqa: E402
from soundalike.engine.embedders.builtin import MODEL_FILE, BuiltinEmbedder  # noqa: E402
from soundalike.engine.embedders.builtin_features import FeatureExtractor  # noqa: E402
from soundalike.engine.embedders.builtin_frames import MelFrames  # noqa: E402

log = logging.getLogger("heldout_eval")

# The team's held-out run (619 sounds, 14 kits): class -> (queries, P@10, top-1) per model.
TEAM = {
    "0303c91": {
        "kick": (54, 0.87, 0.96),
        "hihat": (126, 0.83, 0.89),
        "cymbal": (134, 0.86, 0.82),
        "tom": (85, 0.85, 0.78),
        "snare": (89, 0.73, 0.71),
        "shaker": (20, 0.48, 0.45),
        "clap": (17, 0.39, 0.65),
        "rim": (31, 0.33, 0.29),
        "bell": (20, 0.25, 0.35),
        "hand": (43, 0.16, 0.28),
    },
    "18cf80f": {
        "kick": (54, 0.84, 0.93),
        "hihat": (126, 0.84, 0.84),
        "cymbal": (134, 0.88, 0.85),
        "tom": (85, 0.83, 0.68),
        "snare": (89, 0.70, 0.67),
        "shaker": (20, 0.48, 0.45),
        "clap": (17, 0.40, 0.71),
        "rim": (31, 0.31, 0.23),
        "bell": (20, 0.37, 0.35),
        "hand": (43, 0.21, 0.23),
    },
}
TEAM_ALL = {"0303c91": (0.714, 0.729), "18cf80f": (0.718, 0.700)}
CLASSES = tuple(TEAM["18cf80f"])
MIX = {c: n for c, (n, _, _) in TEAM["18cf80f"].items()}
# Aspect weights each commit shipped with (DEFAULT_WEIGHTS in engine/embedders/builtin.py there).
COMMIT_WEIGHTS = {
    "0303c91": {"overall": 1.0, "timbre": 0.3, "pitch": 0.1, "envelope": 0.04},
    "18cf80f": {"overall": 1.0, "timbre": 0.3, "pitch": 0.2, "envelope": 0.1},
}
TAG_CLASS = {"closed hat": "hihat", "open hat": "hihat", "hand drum": "hand"}


def model_at(commit: str, cache: Path) -> Path:
    path = cache / f"builtin_model-{commit}.npz"
    if not path.exists():
        blob = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{commit}:engine/embedders/builtin_model.npz"],
            check=True,
            capture_output=True,
        ).stdout
        path.write_bytes(blob)
    return path


def per_query(emb: np.ndarray, classes: np.ndarray, groups: np.ndarray, queries: np.ndarray, k: int = 10):
    """P@k and top-1 per query row (cross-group, as /work/shared/devdata/metrics.py), and top-1 class."""
    emb = unit_rows(np.asarray(emb, np.float64))
    sims = emb[queries] @ emb.T
    p, t, first = [], [], []
    for row, i in zip(sims, np.flatnonzero(queries)):
        others = np.flatnonzero(groups != groups[i])
        order = others[np.argsort(-row[others], kind="stable")]
        rel = classes[order] == classes[i]
        p.append(rel[:k].mean())
        t.append(float(rel[0]))
        first.append(classes[order[0]])
    return np.array(p), np.array(t), np.array(first)


def tag_classes(tags: list[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Each sound's best tag as an evaluation class, and its score (the tag's confidence)."""
    best = [max(t, key=lambda name: t[name]) for t in tags]
    return (np.array([TAG_CLASS.get(b, b) for b in best]), np.array([t[b] for t, b in zip(tags, best)]))


def mixed(values: dict[str, float]) -> float:
    present = [c for c in CLASSES if c in values]
    return sum(MIX[c] * values[c] for c in present) / sum(MIX[c] for c in present)


def report(
    name: str,
    p: np.ndarray,
    t: np.ndarray,
    tag: np.ndarray,
    conf: np.ndarray,
    first: np.ndarray,
    classes: np.ndarray,
    team: str | None = None,
    threshold: float = 0.5,
) -> dict:
    rows = {}
    print(f"\n== {name}")
    print(f"{'class':8s} {'n':>4s} {'P@10':>6s} {'top-1':>6s} {'tag':>6s}" + ("   team: n P@10 top-1" if team else ""))
    for cls in CLASSES:
        q = classes == cls
        if not q.any():
            continue
        rows[cls] = (p[q].mean(), t[q].mean(), (tag[q] == cls).mean())
        ref = TEAM[team][cls] if team else None
        print(
            f"{cls:8s} {q.sum():4d} {rows[cls][0]:6.3f} {rows[cls][1]:6.3f} {rows[cls][2]:6.3f}"
            + (f"   {ref[0]:4d} {ref[1]:.2f} {ref[2]:.2f}" if ref else "")
        )
    out = {
        "P@10": mixed({c: r[0] for c, r in rows.items()}),
        "top1": mixed({c: r[1] for c, r in rows.items()}),
        "tag": mixed({c: r[2] for c, r in rows.items()}),
        "pooled_P@10": p.mean(),
        "pooled_top1": t.mean(),
    }
    sure = conf >= threshold
    line = (
        f"held-out class mix: P@10 {out['P@10']:.3f}  top-1 {out['top1']:.3f}  tag {out['tag']:.3f}"
        f"   (pooled {p.mean():.3f} / {t.mean():.3f}; tags sure {sure.mean():.0%}, right when sure "
        f"{(tag[sure] == classes[sure]).mean():.3f}, when unsure {(tag[~sure] == classes[~sure]).mean():.3f})"
    )
    if team:
        line += f"   team {TEAM_ALL[team][0]:.3f} / {TEAM_ALL[team][1]:.3f}"
    print(line)
    confused = Counter((c, f) for c, f in zip(classes, first) if c != f)
    print("top-1 confusions:", ", ".join(f"{c}->{f} {n}" for (c, f), n in confused.most_common(6)))
    return out


class Scorer:
    """Features of the held-out queries and of both galleries, computed once."""

    def __init__(self, heldout: Clips, seen: Clips):
        self.pool = heldout + seen
        self.n_heldout = len(heldout)
        extractor, frames = FeatureExtractor(), MelFrames()
        self.features = np.stack([extractor(a) for a in self.pool.audio])
        self.frames = np.stack([frames(a) for a in self.pool.audio])
        self.classes = np.array(self.pool.classes)
        self.groups = np.array([f"seen:{g}" if i >= self.n_heldout else g for i, g in enumerate(self.pool.groups)])

    def run(self, name: str, vectors: np.ndarray, tags: list[dict[str, float]], team: str | None = None) -> dict:
        results = {}
        queries = np.arange(len(self.pool)) < self.n_heldout
        tag, conf = tag_classes(tags)
        for gallery, rows in (("held-out", queries), ("+ seen", np.ones(len(self.pool), bool))):
            p, t, first = per_query(vectors[rows], self.classes[rows], self.groups[rows], queries[rows])
            q = self.classes[queries]
            results[gallery] = report(f"{name}, gallery {gallery}", p, t, tag[queries], conf[queries], first, q, team)
        return results


def builtin_run(scorer: Scorer, model: Path, weights: dict[str, float]):
    embedder = BuiltinEmbedder(BuiltinEmbedder.Options(model_path=str(model)))
    frames = scorer.frames if embedder.model.frames is not None else None
    parts = embedder.model.aspects(scorer.features, frames)
    analysis = embedder.analyse_features(scorer.features, frames)
    return combine(parts, weights), analysis.tags


def with_frames(base: Path, frames: Path, tag_share: float, out: Path) -> Path:
    """A model file: ``base``'s arrays plus the frames net's, its head given ``tag_share`` of the tags."""
    with np.load(base) as a, np.load(frames) as b:
        arrays = {**dict(a), **dict(b), "frames_tag_share": np.array(tag_share)}
    np.savez_compressed(out, **arrays)
    return out


def confidence_curve(tags: list[dict[str, float]], classes: np.ndarray) -> str:
    tag, conf = tag_classes(tags)
    parts = []
    for threshold in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        sure = conf >= threshold
        parts.append(f"{threshold:.1f}: {sure.mean():.0%} sure, {(tag[sure] == classes[sure]).mean():.3f} right")
    return "tag confidence -> share of sounds sure, accuracy of the sure ones: " + "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=Path, default=Path("/work/data/renders"))
    parser.add_argument("--devset", type=Path, default=Path("/work/data/devset/devset.tsv"))
    parser.add_argument("--sonicpi", type=Path, default=Path("/work/data/extra/extra.tsv"))
    parser.add_argument("--cache", type=Path, default=Path("/work/data/heldout"))
    parser.add_argument("--frames", type=Path, help="a frames net (train_frames.py --out) to score alone and blended")
    parser.add_argument("--frames-weights", default="0.5,1,2", help="its aspect weights to try in the blend")
    parser.add_argument("--tag-shares", default="0.5,1", help="its head's shares of the tag posterior to try")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    heldout = heldout_pool(args.cache)
    heldout = heldout.subset(np.isin(heldout.classes, CLASSES))
    seen = eval_pool(args)
    log.info("held-out %d sounds %s; seen gallery %d", len(heldout), dict(Counter(heldout.classes)), len(seen))
    scorer = Scorer(heldout, seen)
    queries = np.arange(len(scorer.pool)) < scorer.n_heldout
    for commit in ("0303c91", "18cf80f"):
        vectors, tags = builtin_run(scorer, model_at(commit, args.cache), COMMIT_WEIGHTS[commit])
        scorer.run(f"built-in at {commit}", vectors, tags, team=commit)
        print(confidence_curve([t for t, q in zip(tags, queries) if q], scorer.classes[queries]))
    shipped = BuiltinEmbedder()
    vectors, tags = builtin_run(scorer, MODEL_FILE, dict(shipped.default_weights))
    scorer.run(f"this checkout's model, its default weights {dict(shipped.default_weights)}", vectors, tags)
    if args.frames is None:
        return
    base = model_at("18cf80f", args.cache)
    for share in (float(s) for s in args.tag_shares.split(",")):
        model = with_frames(base, args.frames, share, args.cache / f"blend-{share}.npz")
        vectors, tags = builtin_run(scorer, model, {"frames": 1.0})
        scorer.run(f"frames net alone (tags: head share {share})", vectors, tags)
        print(confidence_curve([t for t, q in zip(tags, queries) if q], scorer.classes[queries]))
        for weight in (float(w) for w in args.frames_weights.split(",")):
            vectors, _ = builtin_run(scorer, model, {**COMMIT_WEIGHTS["18cf80f"], "frames": weight})
            scorer.run(f"18cf80f + frames x{weight} (tags: head share {share})", vectors, tags)


if __name__ == "__main__":
    main()
