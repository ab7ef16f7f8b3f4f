"""Score aspect weightings of the built-in backend on fixed trained folds (how DEFAULT_WEIGHTS was chosen).

Folds (each one model, trained as ``train_builtin.py`` trains):

* ``loko``: leave-one-dev-kit-out, queries of the held-out kit against the other dev kits;
* ``unseen-dev``: trained without any dev kit, scored on the whole dev set;
* ``soundfont``: trained without TimGM6mb and the dev set, scored on the TimGM6mb kits;
* ``large-pool``: leave-one-dev-kit-out trained without TimGM6mb, queries of the held-out kit
  against the other dev kits *and* the 7 TimGM6mb kits, so every class has many candidates.

    .venv/bin/python training/sweep_weights.py --devset /work/data/devset/devset.tsv   # ~20 min

Trained folds are cached next to the features, so a second sweep takes seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import logging
import multiprocessing as mp
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "training")]

import train_builtin as tb  # noqa: E402
from builtin_fit import aspects, combine, pooled, retrieval_scores  # noqa: E402

from soundalike.engine.embedders.builtin import DEFAULT_WEIGHTS  # noqa: E402

GRID = {"timbre": (0.0, 0.09, 0.2, 0.3, 0.5), "pitch": (0.04, 0.1, 0.2), "envelope": (0.0, 0.04, 0.1)}


def fold_masks(data: tb.Dataset) -> dict[str, np.ndarray]:
    """The training script's protocols, plus leave-one-kit-out without TimGM6mb for the large pool."""
    masks = tb.protocol_masks(data)
    for name in [n for n in masks if n.startswith("loko/")]:
        other_dev_kits = masks[name] & ~masks["unseen-dev"]
        masks[name.replace("loko/", "large-pool/")] = masks["soundfont"] | other_dev_kits
    return masks


def _fit(job) -> dict:
    from threadpoolctl import threadpool_limits

    data, mask, seed = job
    with threadpool_limits(1):  # one BLAS thread per worker: the workers share the cores
        return tb.train(data, mask, seed)


def trained_folds(data: tb.Dataset, args) -> dict[str, dict]:
    """Every fold's model, cached under a key of the training code, the features and the seed."""
    key = hashlib.sha1(str(args.seed).encode())
    for name in ("training/builtin_fit.py", "training/builtin_data.py", "training/train_builtin.py"):
        key.update((ROOT / name).read_bytes())
    for block in data.features:
        key.update(np.ascontiguousarray(block).tobytes())
    path = args.cache / f"sweep-folds-{key.hexdigest()[:12]}.pkl"
    if path.exists():
        return pickle.loads(path.read_bytes())
    masks = fold_masks(data)
    with mp.get_context("fork").Pool(args.workers) as pool:
        models = dict(zip(masks, pool.map(_fit, [(data, m, args.seed) for m in masks.values()])))
    path.write_bytes(pickle.dumps(models))
    return models


def scorer(data: tb.Dataset, models: dict[str, dict]):
    """A function weights -> {fold: (P@10, top-1)} over precomputed aspects."""
    source, groups, classes = data.column("source"), data.column("groups").astype(str), data.column("classes")
    feats = data.clean()
    ok = ~np.isnan(feats).any(axis=1)
    dev, tim = (source == "dev") & ok, np.char.startswith(groups, "timgm6mb") & (classes != "other") & ok
    kits = np.unique(groups[dev])
    views = {
        "unseen-dev": [(models["unseen-dev"], dev, None)],
        "soundfont": [(models["soundfont"], tim, None)],
        "loko": [(models[f"loko/{k}"], dev, k) for k in kits],
        "large-pool": [(models[f"large-pool/{k}"], dev | tim, k) for k in kits],
    }
    parts = {
        name: [(aspects(m, feats[rows]), classes[rows], groups[rows], kit) for m, rows, kit in items]
        for name, items in views.items()
    }

    def score(weights: dict[str, float]) -> dict[str, tuple[float, float]]:
        out = {}
        for name, items in parts.items():
            result = pooled(
                [
                    retrieval_scores(combine(a, weights), c, g, None if kit is None else g == kit)
                    for a, c, g, kit in items
                ]
            )
            out[name] = (result["P@10"], result["top1"])
        return out

    return score


def main() -> None:
    args = tb.data_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0])).parse_args()
    if args.devset is None:
        raise SystemExit("--devset is needed: every fold but one scores the dev kits")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data = tb.build_dataset(args)
    score = scorer(data, trained_folds(data, args))
    candidates = [{"overall": 1.0}] + [
        {"overall": 1.0, "timbre": t, "pitch": p, "envelope": e} for t, p, e in itertools.product(*GRID.values())
    ]
    if DEFAULT_WEIGHTS not in candidates:
        candidates.append(dict(DEFAULT_WEIGHTS))
    folds = list(score(DEFAULT_WEIGHTS))
    print(f"{'timbre/pitch/envelope':22s} " + "  ".join(f"{n:>14s}" for n in folds) + "   (P@10/top-1)")
    for weights in candidates:
        label = "/".join(f"{weights.get(a, 0.0):g}" for a in ("timbre", "pitch", "envelope"))
        mark = "  <- DEFAULT_WEIGHTS" if weights == DEFAULT_WEIGHTS else ""
        row = score(weights)
        print(
            f"{label:22s} " + "  ".join(f"{row[f][0]:.3f}/{row[f][1]:.3f}".rjust(14) for f in folds) + mark, flush=True
        )


if __name__ == "__main__":
    main()
