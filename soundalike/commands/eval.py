"""``soundalike eval``: which backend finds the right kind of sound on *your* labelled samples."""

from __future__ import annotations

import argparse
import json
import logging
import sys

import numpy as np

from soundalike.engine.config import Settings
from soundalike.engine.embedders.registry import BACKENDS, create_embedder
from soundalike.engine.errors import UserError
from soundalike.engine.pipeline.batch_embed import embed_paths
from soundalike.engine.tools.evaluation import Evaluation, evaluate, read_labelled
from soundalike.progress import ProgressBar

log = logging.getLogger(__name__)


def add_parsers(commands) -> None:
    parser = commands.add_parser(
        "eval", help="measure every usable backend on labelled sounds (LABEL/[GROUP/]files or a TSV)"
    )
    parser.add_argument("source", help="folder whose sub-folders are labels, or TSV: path, group, [name,] label")
    parser.add_argument("--backends", help="comma-separated backends (default: every usable one)")
    parser.add_argument("-k", type=int, default=10, help="precision at k (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    files = read_labelled(args.source, settings.engine.extensions)
    names = args.backends.split(",") if args.backends else sorted(BACKENDS)
    print(
        f"{len(files)} labelled files, {len({f.label for f in files})} labels, {len({f.group for f in files})} groups",
        file=sys.stderr,
    )
    results, skipped = {}, {}
    for name in names:
        try:
            results[name] = _evaluate_backend(name, files, settings, args.k)
        except UserError as e:
            skipped[name] = str(e).splitlines()[0]
    if args.json:
        print(json.dumps({"results": dict(results), "skipped": skipped}, indent=1, default=vars))
        return 0 if results else 2
    _print_table(results, skipped, args.k)
    if not results:
        raise UserError("no backend could be evaluated")
    return 0


def _evaluate_backend(name: str, files, settings: Settings, k: int) -> dict:
    embedder = create_embedder(name, settings.backends.get(name))
    bar = ProgressBar(f"eval {name}")
    try:
        batch = embed_paths([f.path for f in files], embedder, settings.engine, bar.update)
    finally:
        bar.close()
    vectors = embedder.ranking_vectors(batch.vectors)  # ranked as `similar` ranks them
    ok = ~np.isnan(vectors).any(axis=1)
    result = evaluate(
        vectors[ok],
        [f.label for f, good in zip(files, ok) if good],
        [f.group for f, good in zip(files, ok) if good],
        k=k,
    )
    return {"evaluation": result, "files_per_second": len(files) / batch.seconds, "failed": len(batch.failures)}


def skipped_lines(skipped: dict[str, str]) -> list[tuple[str, str]]:
    """Skipped backends, one line per reason: "clap, mert, wavlm" beside "needs the Python package
    'torch': …" once, rather than one line each saying the same."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in skipped.items():
        by_reason.setdefault(reason.replace(f"backend '{name}' ", "", 1), []).append(name)
    return [(", ".join(names), reason) for reason, names in by_reason.items()]


def _print_table(results: dict, skipped: dict, k: int) -> None:
    print(f"{'backend':<10} {f'P@{k}':>6} {'top-1':>6} {'mAP':>6} {'files/s':>8} {'failed':>6}")
    ranked = sorted(results.items(), key=lambda item: -item[1]["evaluation"].precision_at_k)
    for name, result in ranked:
        ev: Evaluation = result["evaluation"]
        print(
            f"{name:<10} {ev.precision_at_k:6.3f} {ev.top1:6.3f} {ev.mean_ap:6.3f} "
            f"{result['files_per_second']:8.1f} {result['failed']:6d}"
        )
    for names, reason in skipped_lines(skipped):
        print(f"{names:<10} skipped: {reason}")
    if ranked:
        best = ranked[0][1]["evaluation"].best_precision_at_k
        if best < 1.0:
            print(
                f"(best possible P@{k} on these files: {best:.3f}; labels with fewer than {k} sounds "
                "in other groups cap it; see the per-label 'best' column)"
            )
    for name, result in ranked:
        ev = result["evaluation"]
        print(f"\n{name}: per label (queries, P@{k}, top-1, best possible P@{k})")
        for label, row in ev.per_label.items():
            print(
                f"  {label:<14} {int(row['queries']):5d} {row['precision_at_k']:6.3f} {row['top1']:6.3f}"
                f" {row['best_precision_at_k']:6.3f}"
            )
        if ev.confusions:
            print(
                "  most confused (label -> taken for, count): "
                + ", ".join(f"{a}->{b} {n}" for a, b, n in ev.confusions[:5])
            )
