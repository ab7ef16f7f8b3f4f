"""``soundalike listen``: record a hit from an input device (or take a span of a file) and search with it."""
from __future__ import annotations

import argparse
import time

import soundfile as sf

from soundalike.commands.library import (
    add_query_options,
    add_span_options,
    left_out,
    parse_weights,
    print_hits,
    query_filters,
    with_library,
)
from soundalike.engine.errors import UserError
from soundalike.engine.library.facade import Library
from soundalike.engine.pipeline.recording import Clip, cleaned, record, span_of_file, trimmed
from soundalike.tui.widgets.waveform import render

WAVE_WIDTH = 60


def add_parsers(commands) -> None:
    listen = commands.add_parser("listen", help="record a sound from an input device and find what sounds like it")
    listen.add_argument("--seconds", type=float, default=2.0, help="how long to record (default 2)")
    listen.add_argument("--device", help="input device name or number (default: the system default)")
    listen.add_argument("--rate", type=int, help="sample rate (default: the device's own)")
    listen.add_argument("--whole", action="store_true", help="search with the whole recording, not its first hit")
    listen.add_argument("--keep-noise", action="store_true", help="do not subtract the microphone's noise floor")
    listen.add_argument("--save", metavar="FILE", help="also write what was searched with to FILE (WAV)")
    add_span_options(listen)
    add_query_options(listen)
    listen.set_defaults(handler=with_library(cmd_listen))


def cmd_listen(args: argparse.Namespace, library: Library) -> int:
    device = int(args.device) if args.device and args.device.isdigit() else args.device
    take = record(args.seconds, device, args.rate,
                  on_start=lambda name: print(f"recording {args.seconds:g} s from {name}: play the sound now…",
                                              flush=True))
    take = take if args.keep_noise else cleaned(take)  # the whole take tells the noise best
    clip = trimmed(span_of_clip(take, args.start, args.end), hit=not args.whole)
    if not args.json:
        print_clip(clip)
    if args.save:
        sf.write(args.save, clip.audio, clip.sample_rate)
    return search_clip(args, library, clip)


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
        folded = library.similar_groups(clip.audio, k=args.k, backend=args.backend, weights=weights, filters=filters,
                                        sample_rate=clip.sample_rate, musical=getattr(args, "musical", False),
                                        collapse=args.collapse, not_under=left_out(args, library, clip.source))
    except ValueError as e:
        raise UserError(str(e)) from e
    return print_hits(args, folded.groups, (time.perf_counter() - started) * 1000, library)


def similar_to_span(args: argparse.Namespace, library: Library) -> int:
    """``similar FILE --from A --to B``: the first hit in that span of FILE, as the query."""
    try:
        clip = span_of_file(args.file, args.start, args.end)
    except ValueError as e:
        raise UserError(str(e)) from e
    if not args.json:
        print_clip(clip)
    return search_clip(args, library, clip)
