"""Pooled leave-one-source-out evaluation of the built-in backend's training recipe on every real source.

The pool holds every real drum we may use: the three dev kits, the Sonic Pi one-shots (a group per
author), the FreePats and Red Zeppelin kits (velocities 70 and 127) and the soundfont kits
(velocity 100; FluidR3 GM + MuseScore as one group, TimGM6mb another, because kits inside one
soundfont share samples). Classes are the held-out set's: kick, snare, hihat, cymbal, tom, rim,
clap, shaker, bell, hand.

For every source family (``real_sources.family``) the recipe is trained without it and that
family's sounds are the queries, against the whole pool, neighbours from other groups only (the
team's metric). Families the recipe never trains on are scored with the model trained on
everything (for ``--recipe shipped``: the shipped model file itself). Fold models are cached.

Printed per class: queries, P@10, top-1 and tag accuracy (argmax class), next to the team's held-out
figures for the shipped model; overall both pooled and re-weighted to the held-out class mix.

    .venv/bin/python training/pooled_eval.py --devset /work/data/devset/devset.tsv --recipe shipped
    .venv/bin/python training/pooled_eval.py --devset /work/data/devset/devset.tsv --recipe real
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "training")]

from builtin_data import Clips, load_devset  # noqa: E402
from builtin_fit import aspects, combine  # noqa: E402
from real_sources import family, load_kit, load_sonicpi, render_extra  # noqa: E402
from render_kits import render_all  # noqa: E402
from train_builtin import MIX_WEIGHTS, build_dataset, cached_features, data_arguments, train  # noqa: E402

from soundalike.engine.embedders.builtin import MODEL_FILE, RETRIEVAL_CLASS  # noqa: E402

log = logging.getLogger("pooled_eval")

# The team's held-out figures for the shipped model: queries, P@10, top-1.
HELDOUT = {
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
}
HELDOUT_ALL = (619, 0.714, 0.729)
EVAL_CLASSES = tuple(HELDOUT)
SOUNDFONT_VELOCITY = (100,)
KIT_VELOCITIES = (70, 127)


def eval_pool(args) -> Clips:
    """Every real source, drums of the held-out classes only, grouped as the docstring says."""
    parts = [load_devset(args.devset), load_sonicpi(args.sonicpi)]
    for name, path in render_extra(args.renders).items():
        parts.append(load_kit(path, name, KIT_VELOCITIES))
    stems = sorted(p for p in args.renders.glob("*-128-*.npz"))
    for path in stems:
        kit = load_kit(path, "render", SOUNDFONT_VELOCITY)
        kit.groups = [family("render", g) for g in kit.groups]
        parts.append(kit)
    pool = parts[0]
    for part in parts[1:]:
        pool = pool + part
    keep = np.array([c in EVAL_CLASSES and a is not None for c, a in zip(pool.classes, pool.audio)])
    pool = pool.subset(keep)
    log.info("pool: %d sounds, %s", len(pool), dict(Counter(pool.classes)))
    return pool


def families_of(clips: Clips) -> np.ndarray:
    # Pool soundfont rows are already grouped by family ("sf-..."); training rows name their kit.
    return np.array([g if g.startswith("sf-") else family(s, g) for s, g in zip(clips.source, clips.groups)])


def per_query(emb: np.ndarray, classes: np.ndarray, groups: np.ndarray, queries: np.ndarray, k: int = 10):
    """P@k, top-1 and the top-1 neighbour's class for each query row (cross-group, as metrics.py)."""
    emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12)
    sims = emb[queries] @ emb.T
    p_at_k, top1, first = [], [], []
    for row, i in zip(sims, np.flatnonzero(queries)):
        others = np.flatnonzero(groups != groups[i])
        order = others[np.argsort(-row[others], kind="stable")]
        rel = classes[order] == classes[i]
        p_at_k.append(rel[:k].mean())
        top1.append(float(rel[0]))
        first.append(classes[order[0]])
    return np.array(p_at_k), np.array(top1), np.array(first)


def predicted_class(arrays: dict, probs: np.ndarray) -> np.ndarray:
    names = [str(c) for c in arrays["classes"]]
    merged = [RETRIEVAL_CLASS.get(n, n) for n in names]
    return np.array([merged[i] for i in probs.argmax(axis=1)])


def fold_model(data, fold: str | None, args, recipe_key: str) -> dict:
    """Arrays of the recipe trained without ``fold`` (None: on everything), cached on disk."""
    path = args.cache / "folds" / f"{recipe_key}-{fold or 'all'}.npz"
    if path.exists():
        with np.load(path) as saved:
            return dict(saved)
    dataset, fams = data()
    mask = np.ones(len(fams), bool) if fold is None else fams != fold
    log.info("training without %s (%d of %d clips)", fold, mask.sum(), len(mask))
    arrays = train(dataset, mask, args.seed, n_models=args.nets)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return arrays


def recipe_key(args) -> str:
    text = "|".join(
        str(x)
        for x in (
            args.recipe,
            args.synth_kits,
            args.aug,
            args.synth_aug,
            args.seed,
            sorted((k, v) for k, v in vars(args).items() if k not in ("sweep", "reverse", "only")),
        )
    )
    code = b"".join(
        (ROOT / f).read_bytes()
        for f in (
            "training/builtin_fit.py",
            "training/train_builtin.py",
            "training/builtin_data.py",
            "training/synth_kits.py",
            "training/real_sources.py",
            "engine/embedders/builtin_features.py",
        )
    )
    return args.recipe + "-" + hashlib.sha1(code + text.encode()).hexdigest()[:10]


# Families each recipe trains on (the synthetic kits are never in the pool).
TRAINED = {
    "shipped": ("dev", "sf-fluid", "sf-timgm6mb"),
    "real": ("dev", "sf-fluid", "sf-timgm6mb", "sonicpi", "freepats", "redzep"),
}


def fold_models(args, pool: Clips) -> dict[str, dict]:
    """The model arrays that score each family's queries (see the module docstring)."""
    key, cache = recipe_key(args), {}
    folds = sorted(set(families_of(pool)), reverse=args.reverse)
    if args.only:
        folds = [args.only]

    def data():  # built only when a fold model is not cached yet (the synthetic kits take minutes)
        if not cache:
            cache["data"] = build_dataset(args)
            cache["fams"] = families_of(cache["data"].clips)
        return cache["data"], cache["fams"]

    models = {}
    for fold in folds:
        trained_on = fold in TRAINED[args.recipe]
        if not trained_on and args.recipe == "shipped":
            with np.load(args.model) as saved:
                models[fold] = dict(saved)
        else:
            models[fold] = fold_model(data, fold if trained_on else None, args, key)
        log.info("%s: %s", fold, "left out of training" if trained_on else "never trained on")
    return models


def score(models: dict, pool: Clips, feats: np.ndarray, weights: dict, **overrides) -> dict:
    """Per-query P@10, top-1, top-1 neighbour's class and argmax class, each family by its own model."""
    classes, groups, fams = np.array(pool.classes), np.array(pool.groups), families_of(pool)
    rows = {
        "p": np.zeros(len(pool)),
        "t": np.zeros(len(pool)),
        "first": np.empty(len(pool), object),
        "tag": np.empty(len(pool), object),
    }
    for fold, arrays in models.items():
        arrays = {**arrays, **{k: np.array(v) for k, v in overrides.items()}}
        parts = aspects(arrays, feats)
        q = fams == fold
        rows["p"][q], rows["t"][q], rows["first"][q] = per_query(combine(parts, weights), classes, groups, q)
        rows["tag"][q] = predicted_class(arrays, parts["_probs"][q])
    return rows


def summary(rows: dict, classes: np.ndarray) -> str:
    weighted = (
        sum(
            HELDOUT[c][0] * np.array([rows["p"][classes == c].mean(), rows["t"][classes == c].mean()])
            for c in EVAL_CLASSES
        )
        / HELDOUT_ALL[0]
    )
    weak = np.isin(classes, ("hand", "bell", "rim", "clap", "shaker"))
    return (
        f"pooled {rows['p'].mean():.3f}/{rows['t'].mean():.3f}  held-out mix {weighted[0]:.3f}/{weighted[1]:.3f}"
        f"  weak classes {rows['p'][weak].mean():.3f}/{rows['t'][weak].mean():.3f}"
    )


SWEEP = [
    ({"overall": 1.0}, {}),
    (MIX_WEIGHTS, {}),
    ({"overall": 1.0, "timbre": 0.5, "pitch": 0.1, "envelope": 0.04}, {}),
    ({"overall": 1.0, "timbre": 0.3, "pitch": 0.2, "envelope": 0.1}, {}),
    ({"overall": 1.0, "timbre": 0.6, "pitch": 0.2, "envelope": 0.1}, {}),
    (MIX_WEIGHTS, {"hidden_weight": 1.0}),
    (MIX_WEIGHTS, {"hidden_weight": 0.25}),
    (MIX_WEIGHTS, {"temperature": 1.0}),
    (MIX_WEIGHTS, {"temperature": 4.0}),
]


def evaluate(args) -> dict:
    pool = eval_pool(args)
    feats = cached_features("pool", pool, 0, args.seed, args.cache, args.workers)[:, 0]
    models = fold_models(args, pool)
    if args.only:
        return {}
    rows = score(models, pool, feats, MIX_WEIGHTS)
    report(rows, np.array(pool.classes), families_of(pool))
    if args.sweep:
        for weights, overrides in SWEEP:
            print(
                f"{weights} {overrides}: {summary(score(models, pool, feats, weights, **overrides), np.array(pool.classes))}"
            )
    return rows


def report(rows: dict, classes: np.ndarray, fams: np.ndarray) -> None:
    print(f"{'class':8s} {'n':>4s} {'P@10':>6s} {'top-1':>6s} {'tag':>6s}   held-out (shipped): n P@10 top-1")
    weighted = np.zeros(2)
    for cls in EVAL_CLASSES:
        q = classes == cls
        n, hp, ht = HELDOUT[cls]
        p, t, tag = rows["p"][q].mean(), rows["t"][q].mean(), (rows["tag"][q] == cls).mean()
        weighted += n * np.array([p, t])
        print(f"{cls:8s} {q.sum():4d} {p:6.3f} {t:6.3f} {tag:6.3f}   {n:4d} {hp:.2f} {ht:.2f}")
    tag_all = (rows["tag"] == classes).mean()
    print(f"{'pooled':8s} {len(classes):4d} {rows['p'].mean():6.3f} {rows['t'].mean():6.3f} {tag_all:6.3f}")
    w = weighted / HELDOUT_ALL[0]
    print(summary(rows, classes))
    print(
        f"{'held-out class mix':18s} P@10 {w[0]:.3f} top-1 {w[1]:.3f}   "
        f"(team measured {HELDOUT_ALL[1]:.3f} / {HELDOUT_ALL[2]:.3f} for the shipped model)"
    )
    print(
        "per family:",
        ", ".join(
            f"{f} {rows['p'][fams == f].mean():.2f}/{rows['t'][fams == f].mean():.2f}" for f in sorted(set(fams))
        ),
    )
    confused = Counter((c, f) for c, f in zip(classes, rows["first"]) if c != f)
    print("top-1 confusions:", ", ".join(f"{c}->{f} {n}" for (c, f), n in confused.most_common(8)))


def main() -> None:
    parser = data_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    parser.add_argument("--model", type=Path, default=MODEL_FILE, help="the shipped model (recipe shipped)")
    parser.add_argument("--sweep", action="store_true", help="also print aspect-weight / temperature variants")
    parser.add_argument("--only", help="train (or load) only this family's fold model, then stop")
    parser.add_argument("--reverse", action="store_true", help="train folds in reverse order (a second process)")
    parser.add_argument("--nets", type=int, default=2, help="nets per fold model (the shipped model has 5)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    render_all(args.renders)
    evaluate(args)


if __name__ == "__main__":
    main()
