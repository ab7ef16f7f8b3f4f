"""``soundalike listen``: record a hit from an input device (or take a span of a file) and search with it."""

from __future__ import annotations

import argparse

import soundfile as sf

from soundalike.commands.clips import print_clip, search_clip, span_of_clip
from soundalike.commands.library import with_library
from soundalike.commands.query_args import add_query_options, add_span_options
from soundalike.engine.library.facade import Library
from soundalike.engine.pipeline.recording import cleaned, record, trimmed


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
    take = record(
        args.seconds,
        device,
        args.rate,
        on_start=lambda name: print(f"recording {args.seconds:g} s from {name}: play the sound now…", flush=True),
    )
    take = take if args.keep_noise else cleaned(take)  # the whole take tells the noise best
    clip = trimmed(span_of_clip(take, args.start, args.end), hit=not args.whole)
    if not args.json:
        print_clip(clip)
    if args.save:
        sf.write(args.save, clip.audio, clip.sample_rate)
    return search_clip(args, library, clip)
