"""Translate dev-set figures into an estimate for the team's held-out kits, using shared references.

The issue gives the held-out precision@10 and top-1 of two references, a typical MFCC statistics
vector and the pretrained aisfx CNN. Both are measured here on the dev set with the same metric.
For each reference, held-out misses / dev misses (1 - P@10, 1 - top-1) says how much easier the
held-out kits are than the dev kits for that method. Those ratios, applied to the built-in
backend's leave-one-dev-kit-out figures (printed by ``train_builtin.py``), give a range for the
held-out kits. It assumes the held-out kits ease every method's misses alike: an assumption, not
a measurement. Our MFCC vector is "a typical one", not necessarily the team's.

    .venv/bin/python training/estimate_heldout.py --devset /work/data/devset/devset.tsv \
        --builtin 0.709,0.853
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soundalike.engine.tools.evaluation import evaluate, read_labelled  # noqa: E402

# Held-out (P@10, top-1) from the issue "Drum search quality".
REFERENCES = {"mfcc": (0.58, 0.66), "aisfx": (0.62, 0.70)}
GOAL = (0.80, 0.85)


def mfcc_vectors(paths: list[str]) -> np.ndarray:
    """MFCC-20 mean and standard deviation over the first 2 s, standardised over the set."""
    import librosa

    out = []
    for path in paths:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                audio, rate = librosa.load(path, sr=22050, duration=2.0)
            mfcc = librosa.feature.mfcc(y=audio, sr=rate, n_mfcc=20)
            out.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]))
        except Exception:  # noqa: BLE001 - an undecodable file is a NaN row, as in `soundalike embed`
            out.append(np.full(40, np.nan))
    vectors = np.array(out)
    ok = ~np.isnan(vectors).any(axis=1)
    vectors[ok] = (vectors[ok] - vectors[ok].mean(axis=0)) / vectors[ok].std(axis=0)
    return vectors


def aisfx_vectors(paths: list[str]) -> np.ndarray | None:
    from soundalike.engine.config import EngineSettings
    from soundalike.engine.embedders.registry import create_embedder
    from soundalike.engine.errors import BackendUnavailable
    from soundalike.engine.pipeline.batch_embed import embed_paths

    try:
        embedder = create_embedder("aisfx")
    except BackendUnavailable as exc:
        print(f"aisfx skipped: {exc}")
        return None
    return embed_paths(paths, embedder, EngineSettings()).vectors


def dev_scores(vectors: np.ndarray, classes: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    ok = ~np.isnan(vectors).any(axis=1)
    result = evaluate(vectors[ok], classes[ok], groups[ok])
    return result.precision_at_k, result.top1


def implied(builtin_dev: float, ref_dev: float, ref_heldout: float) -> float:
    """Built-in figure on the held-out kits if its misses shrink by the reference's ratio."""
    return 1.0 - (1.0 - builtin_dev) * (1.0 - ref_heldout) / (1.0 - ref_dev)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devset", type=Path, required=True)
    parser.add_argument(
        "--builtin",
        default="0.709,0.853",
        help="leave-one-dev-kit-out P@10,top-1 of the built-in backend (train_builtin.py)",
    )
    args = parser.parse_args()
    builtin = tuple(float(x) for x in args.builtin.split(","))
    files = read_labelled(args.devset, extensions=())
    paths = [f.path for f in files]
    classes, groups = np.array([f.label for f in files]), np.array([f.group for f in files])
    vectors = {"mfcc": mfcc_vectors(paths), "aisfx": aisfx_vectors(paths)}
    print(
        f"{'reference':10s} {'dev P@10':>9s} {'held-out':>9s} {'dev top1':>9s} {'held-out':>9s}"
        f" | built-in implied P@10, top-1"
    )
    for name, vecs in vectors.items():
        if vecs is None:
            continue
        dev = dev_scores(vecs, classes, groups)
        ref = REFERENCES[name]
        est = [implied(b, d, h) for b, d, h in zip(builtin, dev, ref)]
        print(f"{name:10s} {dev[0]:9.3f} {ref[0]:9.3f} {dev[1]:9.3f} {ref[1]:9.3f} | {est[0]:.3f}, {est[1]:.3f}")
    print(
        f"built-in leave-one-dev-kit-out: P@10 {builtin[0]:.3f}, top-1 {builtin[1]:.3f};"
        f" goal on held-out kits: {GOAL[0]:.2f}, {GOAL[1]:.2f}"
    )


if __name__ == "__main__":
    main()
