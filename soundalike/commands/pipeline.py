"""Commands that run the audio pipeline without a library: ``embed`` and ``doctor``."""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from soundalike.engine.config import Settings
from soundalike.engine.embedders.registry import create_embedder
from soundalike.engine.errors import FileError, UserError
from soundalike.engine.pipeline.audio import decode_file, resample, trim_leading_silence
from soundalike.engine.pipeline.batch_embed import embed_paths
from soundalike.engine.pipeline.ingest import embed_checked
from soundalike.engine.pipeline.walk import stat_entry
from soundalike.engine.tags import scored_labels
from soundalike.engine.weights import parse_weights
from soundalike.progress import ProgressBar


def add_parsers(commands) -> None:
    embed = commands.add_parser("embed", help="write embeddings of listed files to a .npy matrix")
    embed.add_argument("--backend", help="backend (default: the configured default)")
    embed.add_argument("--paths-from", required=True, help="text file, one path per line (TSV: first column)")
    embed.add_argument("--out", required=True, help="output .npy (N x D float32, rows in list order)")
    embed.add_argument("--aspect", help="aspect weights, as for similar (default: the backend's own)")
    embed.add_argument("--raw", action="store_true", help="write the stored vectors (every aspect equal)")
    embed.set_defaults(handler=cmd_embed)

    doctor = commands.add_parser(
        "doctor", help="show what each pipeline step does to a file; without one, where the catalog and roots are"
    )
    doctor.add_argument("file", nargs="?")
    doctor.add_argument("--backend", help="backend (default: the configured default)")
    doctor.set_defaults(handler=cmd_doctor)


def read_path_list(list_file: str) -> list[str]:
    """One path per non-blank line; for a TSV, the first column (so devset.tsv works as is)."""
    try:
        with open(list_file, encoding="utf-8", errors="surrogateescape") as handle:  # names need not be UTF-8
            return [line.rstrip("\n").split("\t")[0] for line in handle if line.strip()]
    except OSError as e:
        raise UserError(f"cannot read {list_file}: {e.strerror or e}") from e


def cmd_embed(args: argparse.Namespace, settings: Settings) -> int:
    backend = args.backend or settings.engine.default_backend
    embedder = create_embedder(backend, settings.backends.get(backend))
    paths = read_path_list(args.paths_from)
    bar = ProgressBar(f"embedding ({backend})")
    try:
        result = embed_paths(paths, embedder, settings.engine, bar.update)
    finally:
        bar.close()
    for path, reason in result.failures:
        print(f"{path}: {reason}", file=sys.stderr)
    # by default, vectors whose plain cosine ranks neighbours as `similar` does
    vectors = result.vectors if args.raw else embedder.ranking_vectors(result.vectors, parse_weights(args.aspect))
    np.save(args.out, vectors)
    print(
        f"wrote {args.out}: {len(paths)} x {embedder.dim} ({result.embedded} embedded, "
        f"{len(result.failures)} NaN rows)",
        file=sys.stderr,
    )
    return 0 if result.embedded > 0 else 1


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    if args.file is None:
        from soundalike.commands.doctor import catalog_doctor

        return catalog_doctor(settings)
    engine = settings.engine
    backend = args.backend or engine.default_backend
    path = os.path.abspath(args.file)
    print(f"file: {path}")
    entry = stat_entry(path)
    if entry.problem:
        raise FileError(f"{path}: {entry.problem}")
    print(f"  size {entry.size} bytes")
    decoded = decode_file(path, engine.max_seconds, engine.silence_db)
    facts = decoded.facts
    print(f"decode: {facts.format}, {facts.sample_rate} Hz, {facts.channels} channel(s), {facts.duration:.3f} s")
    print(f"  decoded {decoded.decoded_seconds:.3f} s (max_seconds = {engine.max_seconds:g}), mixed to mono")
    print(
        f"  peak {facts.peak_db:.1f} dBFS, RMS {facts.rms_db:.1f} dBFS, silent: {facts.silent}, "
        f"clipped: {facts.clipped}"
    )
    trimmed = trim_leading_silence(decoded.samples, decoded.sample_rate, engine.trim_db)
    cut = (decoded.samples.size - trimmed.size) / decoded.sample_rate
    print(f"trim: removed {cut * 1000:.1f} ms of leading audio below {engine.trim_db:g} dB from the peak")
    embedder = create_embedder(backend, settings.backends.get(backend))
    clip = resample(trimmed, decoded.sample_rate, embedder.sample_rate)
    print(
        f"resample: {decoded.sample_rate} Hz -> {embedder.sample_rate} Hz "
        f"({'none needed' if decoded.sample_rate == embedder.sample_rate else 'soxr HQ'}), {clip.size} samples"
    )
    window = embedder.window_seconds
    length = clip.size / embedder.sample_rate
    fit = "cropped to" if length > window else "padded/used within"
    print(f"backend {backend}: window {window:g} s; this clip is {length:.3f} s ({fit} the window)")
    started = time.perf_counter()
    analysis = embed_checked(embedder, [clip])
    vector = analysis.vectors[0]
    print(
        f"embed: shape {vector.shape}, norm {np.linalg.norm(vector):.4f}, NaNs {int(np.isnan(vector).sum())}, "
        f"{(time.perf_counter() - started) * 1000:.1f} ms"
    )
    if analysis.tags:
        print("tags: " + ", ".join(scored_labels(analysis.tags[0], engine.tag_confidence, limit=3)))
    for warning in domain_warnings(facts, length, window):
        print(f"warning: {warning}")
    return 0


def domain_warnings(facts, clip_seconds: float, window: float) -> list[str]:
    """Reasons the backend may see this file differently from what it was built for."""
    warnings = []
    if facts.silent:
        warnings.append("the file is silent: it is not embedded when indexing")
    if facts.clipped:
        warnings.append("the file clips (samples at full scale): timbre may read harsher than intended")
    if clip_seconds < 0.02:
        warnings.append(f"very short clip ({clip_seconds * 1000:.0f} ms): little for any backend to go on")
    if clip_seconds > 4 * window:
        warnings.append(f"clip is far longer than the backend's {window:g} s window: only the start shapes it")
    if facts.sample_rate < 16000 or facts.sample_rate > 192000:
        warnings.append(f"unusual sample rate {facts.sample_rate} Hz")
    return warnings
