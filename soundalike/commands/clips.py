"""A clip as a query: a span of a file or a recorded take, shown as a waveform and searched with."""

from __future__ import annotations

import argparse
import time

from soundalike.commands.query_args import left_out, print_hits, query_filters
from soundalike.engine.errors import UserError
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.pipeline.recording import Clip, span_of_file
from soundalike.engine.weights import parse_weights
from soundalike.tui.widgets.waveform import render

WAVE_WIDTH = 60


def span_of_clip(clip: Clip, start: float | None, end: float | None) -> Clip:
    """The chosen span of a recording (seconds from its start); the whole of it when none is given."""
    if start is None and end is None:
        return clip
    first = int((start or 0.0) * clip.sample_rate)
    last = clip.audio.size if end is None else int(end * clip.sample_rate)
    if last <= first:
        raise UserError(f"--to must come after --from, and inside the {clip.seconds:.2f} s recording")
    return Clip(clip.audio[first:last], clip.sample_rate, first / clip.sample_rate, clip.source)


def print_clip(clip: Clip) -> None:
    print(f"{clip.source}: {clip.seconds * 1000:.0f} ms from {clip.start:.3f} s")
    for line in render(clip.audio, WAVE_WIDTH, 3):
        print(f"  {line}")


def search_clip(args: argparse.Namespace, library: Library, clip: Clip) -> int:
    started = time.perf_counter()
    weights, filters = parse_weights(args.aspect), query_filters(args, library)
    try:
        folded = library.similar(
            SimilarQuery(
                clip.audio,
                k=args.k,
                backend=args.backend,
                weights=weights,
                filters=filters,
                sample_rate=clip.sample_rate,
                musical=getattr(args, "musical", False),
                collapse=args.collapse,
                not_under=left_out(args, library, clip.source),
            )
        )
    except ValueError as e:
        raise UserError(str(e)) from e
    return print_hits(args, folded, (time.perf_counter() - started) * 1000, library)


def similar_to_span(args: argparse.Namespace, library: Library) -> int:
    """``similar FILE --from A --to B``: the first hit in that span of FILE, as the query."""
    try:
        clip = span_of_file(args.file, args.start, args.end)
    except ValueError as e:
        raise UserError(str(e)) from e
    if not args.json:
        print_clip(clip)
    return search_clip(args, library, clip)
