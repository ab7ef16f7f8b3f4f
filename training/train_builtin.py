"""Train the built-in embedder end to end and write engine/embedders/builtin_model.npz.

Steps: render General MIDI drum kits with fluidsynth into a cache (skipped when present),
synthesise procedural kits, read the dev set if given, extract features (with augmentation,
cached by content), evaluate the protocols below, then fit the shipped model on everything.

Protocols printed (cross-group precision@10, top-1, mAP as in the team's metrics.py):

* ``heldout-soundfont``: trained on renders of FluidR3 + MuseScore and synthetic kits, scored on
  the TimGM6mb kits among themselves (TimGM6mb shares no samples with the others);
* ``renders-only -> dev``: trained on renders + synthetic kits, scored on the whole dev set;
* ``leave-one-dev-kit-out``: for each dev kit K, trained on renders + synthetic kits + the other
  dev kits, scored for the queries of K against all other dev rows; pooled over K.

Usage (from the repository root)::

    .venv/bin/python training/train_builtin.py --devset /work/data/devset/devset.tsv
    .venv/bin/python training/train_builtin.py --no-protocols          # just fit and write the model

Everything is seeded (``--seed``); the same inputs give the same model file.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "training")]

from builtin_data import Clips, load_devset, load_renders  # noqa: E402
from builtin_fit import aspects, class_weights, combine, featurise, fit_model, pooled, retrieval_scores  # noqa: E402
from real_sources import load_kit, load_sonicpi, render_extra  # noqa: E402
from render_kits import dev_class, render_all  # noqa: E402
from synth_kits import synth_kit  # noqa: E402

from soundalike.engine.embedders.builtin import DEFAULT_WEIGHTS  # noqa: E402

log = logging.getLogger("train_builtin")

LEARNED_ONLY = {"overall": 1.0}
MIX_WEIGHTS = DEFAULT_WEIGHTS  # what the embedder ships with; compared against LEARNED_ONLY everywhere
DEV_WEIGHT = 3.0  # real recordings are scarce: each dev row counts as three rendered ones
WEIGHTED_SOURCES = ("dev", "sonicpi")  # real recordings (not renders) that get DEV_WEIGHT


def load_synth(n_kits: int, workers: int) -> Clips:
    with mp.get_context("fork").Pool(workers) as pool:
        kits = pool.map(synth_kit, range(n_kits))
    out = Clips([], [], [], [], [])
    for k, (clips, labels) in enumerate(kits):
        for clip, label in zip(clips, labels):
            out.audio.append(clip)
            out.fine.append(label)
            out.classes.append(dev_class(label))
            out.groups.append(f"synth-{k:03d}")
            out.source.append("synth")
    return out


def cached_features(name: str, clips: Clips, n_aug: int, seed: int, cache: Path, workers: int) -> np.ndarray:
    """Features for clips (N, 1 + n_aug, D), cached under a key of the feature code and the inputs."""
    code = (ROOT / "engine/embedders/builtin_features.py").read_bytes() + (
        ROOT / "training/builtin_data.py"
    ).read_bytes()
    key = hashlib.sha1(code + f"{name}:{len(clips)}:{n_aug}:{seed}:{'|'.join(clips.groups)}".encode()).hexdigest()[:12]
    path = cache / f"{name}-{key}.npy"
    if path.exists():
        return np.load(path)
    start = time.perf_counter()
    features = featurise(clips.audio, n_aug, seed, workers)
    log.info("%s: %d clips x %d variants in %.0f s", name, len(clips), 1 + n_aug, time.perf_counter() - start)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, features)
    return features


class Dataset:
    """All training rows: features per clip and variant, with labels and groups."""

    def __init__(self, parts: list[tuple[Clips, np.ndarray]]):
        self.features = [f for _, f in parts]
        self.clips = parts[0][0]
        for clips, _ in parts[1:]:
            self.clips = self.clips + clips

    def rows(self, mask: np.ndarray, n_variants: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stacked training rows (features, fine labels, per-row weight) for the selected clips."""
        feats, labels, extra = [], [], []
        start = 0
        for block in self.features:
            idx = np.flatnonzero(mask[start : start + len(block)])
            for i in idx:
                source = self.clips.source[start + i]
                k = n_variants.get(source, block.shape[1])
                feats.append(block[i, :k])
                labels += [self.clips.fine[start + i]] * k
                extra += [DEV_WEIGHT if source in WEIGHTED_SOURCES else 1.0] * k
            start += len(block)
        X = np.concatenate(feats) if feats else np.zeros((0, self.features[0].shape[2]))
        ok = ~np.isnan(X).any(axis=1)
        return X[ok], np.array(labels)[ok], np.array(extra)[ok]

    def clean(self) -> np.ndarray:
        return np.concatenate([block[:, 0] for block in self.features])

    def column(self, name: str) -> np.ndarray:
        return np.array(getattr(self.clips, name))


def train(data: Dataset, mask: np.ndarray, seed: int, variants: dict[str, int] | None = None, **fit_options) -> dict:
    X, y, extra = data.rows(mask, variants or {})
    return fit_model(X, y, class_weights(y, extra), seed=seed, **fit_options)


def score(arrays: dict, features: np.ndarray, classes, groups, queries=None, weights=None) -> dict:
    ok = ~np.isnan(features).any(axis=1)
    emb = combine(aspects(arrays, np.nan_to_num(features)), weights or LEARNED_ONLY)
    q = ok if queries is None else (ok & queries)
    return retrieval_scores(emb[ok], np.asarray(classes)[ok], np.asarray(groups)[ok], q[ok])


def tag_accuracy(arrays: dict, features: np.ndarray, classes) -> float:
    ok = ~np.isnan(features).any(axis=1)
    probs = aspects(arrays, np.nan_to_num(features))["_probs"]
    pred = np.array([dev_class(str(arrays["classes"][i])) for i in probs.argmax(axis=1)])
    return float((pred[ok] == np.asarray(classes)[ok]).mean())


def protocol_masks(data: Dataset) -> dict[str, np.ndarray]:
    """Training rows of each protocol: ``soundfont``, ``unseen-dev`` and ``loko/<dev kit>``."""
    source, groups = data.column("source"), data.column("groups").astype(str)
    dev, timgm = source == "dev", np.char.startswith(groups, "timgm6mb")
    masks = {"soundfont": ~dev & ~timgm, "unseen-dev": ~dev}
    for kit in np.unique(groups[dev]):
        masks[f"loko/{kit}"] = ~dev | (groups != kit)
    return masks


def run_protocols(data: Dataset, seed: int) -> None:
    source, groups, classes = data.column("source"), data.column("groups"), data.column("classes")
    feats = data.clean()
    masks = protocol_masks(data)
    drums = classes != "other"
    timgm = np.char.startswith(groups.astype(str), "timgm6mb") & drums
    arrays = train(data, masks["soundfont"], seed)
    report("heldout-soundfont (TimGM6mb)", score(arrays, feats[timgm], classes[timgm], groups[timgm]))
    report("  with default weights", score(arrays, feats[timgm], classes[timgm], groups[timgm], weights=MIX_WEIGHTS))
    dev = source == "dev"
    arrays = train(data, masks["unseen-dev"], seed)
    report("renders-only -> dev", score(arrays, feats[dev], classes[dev], groups[dev]))
    for name in ("timbre", "envelope", "pitch"):
        report(f"  aspect {name} only", score(arrays, feats[dev], classes[dev], groups[dev], weights={name: 1.0}))
    report("  with default weights", score(arrays, feats[dev], classes[dev], groups[dev], weights=MIX_WEIGHTS))
    print(f"  tag accuracy on dev (renders-only model): {tag_accuracy(arrays, feats[dev], classes[dev]):.3f}")
    results, mixed, correct, total = [], [], 0.0, 0
    for kit in np.unique(groups[dev]):
        arrays = train(data, masks[f"loko/{kit}"], seed)
        held = groups[dev] == kit
        results.append(score(arrays, feats[dev], classes[dev], groups[dev], queries=held))
        mixed.append(score(arrays, feats[dev], classes[dev], groups[dev], queries=held, weights=MIX_WEIGHTS))
        acc = tag_accuracy(arrays, feats[dev][held], classes[dev][held])
        n = int((~np.isnan(feats[dev][held]).any(axis=1)).sum())
        correct, total = correct + acc * n, total + n
        report(f"  held-out kit {kit}", results[-1])
    report("leave-one-dev-kit-out (pooled)", pooled(results))
    report("  with default weights", pooled(mixed))
    print(f"  tag accuracy on dev (leave-one-kit-out): {correct / total:.3f}")


def report(name: str, result: dict) -> None:
    print(
        f"{name:40s} P@10 {result['P@10']:.3f}  top1 {result['top1']:.3f}  mAP {result['mAP']:.3f}"
        f"  ({result['queries']} queries)",
        flush=True,
    )


def measure_speed(model_path: Path, clips: list) -> None:
    """Features + model, one process, batches of 64, best of three passes."""
    from soundalike.engine.embedders.builtin import BuiltinEmbedder

    embedder = BuiltinEmbedder(BuiltinEmbedder.Options(model_path=str(model_path)))
    clips = [c for c in clips if c is not None]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(0, len(clips), 64):
            embedder.analyse(clips[i : i + 64])
        best = min(best, time.perf_counter() - start)
    print(f"speed: {1000 * best / len(clips):.2f} ms per file (features + model, {len(clips)} dev files)")


def build_dataset(args) -> Dataset:
    renders = load_renders(render_all(args.renders))
    synth = load_synth(args.synth_kits, args.workers)
    parts = [
        (renders, cached_features("renders", renders, args.aug, args.seed, args.cache, args.workers)),
        (synth, cached_features("synth", synth, args.synth_aug, args.seed, args.cache, args.workers)),
    ]
    if args.devset:
        dev = load_devset(args.devset)
        parts.append((dev, cached_features("dev", dev, args.aug, args.seed, args.cache, args.workers)))
    if args.recipe == "real":
        parts += real_parts(args)
    return Dataset(parts)


def real_parts(args) -> list:
    """The other real sources (Sonic Pi, FreePats, Red Zeppelin), augmented like the renders."""
    named = [("sonicpi", load_sonicpi(args.sonicpi))]
    named += [(name, load_kit(path, name)) for name, path in render_extra(args.renders).items()]
    return [
        (clips, cached_features(name, clips, args.aug, args.seed, args.cache, args.workers)) for name, clips in named
    ]


def data_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options that decide the training data (shared with ``sweep_weights.py``)."""
    parser.add_argument("--renders", type=Path, default=Path("/work/data/renders"))
    parser.add_argument("--devset", type=Path, default=None)
    parser.add_argument("--sonicpi", type=Path, default=Path("/work/data/extra/extra.tsv"))
    parser.add_argument(
        "--recipe",
        choices=("shipped", "real"),
        default="real",
        help="real: also train on Sonic Pi, FreePats and Red Zeppelin",
    )
    parser.add_argument("--cache", type=Path, default=Path("/work/data/builtin_features"))
    parser.add_argument("--synth-kits", type=int, default=400)
    parser.add_argument("--aug", type=int, default=8, help="augmented variants per rendered / dev clip")
    parser.add_argument("--synth-aug", type=int, default=1, help="augmented variants per synthetic clip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    return parser


def main() -> None:
    parser = data_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    parser.add_argument("--out", type=Path, default=ROOT / "engine/embedders/builtin_model.npz")
    parser.add_argument("--no-protocols", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    data = build_dataset(args)
    if not args.no_protocols:
        run_protocols(data, args.seed)
    arrays = train(data, np.ones(len(data.clips), bool), args.seed)
    np.savez_compressed(args.out, **arrays)
    log.info("wrote %s (%.0f kB)", args.out, args.out.stat().st_size / 1024)
    dev = np.array(data.clips.source) == "dev"
    if dev.any():
        measure_speed(args.out, [a for a, d in zip(data.clips.audio, dev) if d])


if __name__ == "__main__":
    main()
