"""The library commands: index, similar, stats and the demo."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from soundalike.commands.forget import add_parser as add_forget_parser
from soundalike.commands.musical import add_parser as add_musical_parser
from soundalike.commands.musical import musical_filter_fields
from soundalike.commands.query_args import (
    add_query_options,
    add_scope_options,
    add_span_options,
    left_out,
    print_hits,
    query_filters,
    readable,
)
from soundalike.engine import paths
from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError
from soundalike.engine.store.lock import LibraryLock
from soundalike.engine.tags import scored_labels
from soundalike.engine.weights import parse_weights
from soundalike.progress import ProgressBar

if TYPE_CHECKING:  # the library, FAISS and numpy load in the handlers that open a library, so a
    # `similar` answered by the running engine starts in a fraction of the time
    from soundalike.engine.library.facade import Library, ScanReport

log = logging.getLogger(__name__)


#: How long ``similar`` waits for a running engine before opening the library itself.
ENGINE_TIMEOUT = 1.0


def add_parsers(commands) -> None:
    index = commands.add_parser("index", help="index the audio files under folders")
    index.add_argument("folders", nargs="*", help="folders to add and scan (default: every known root)")
    index.set_defaults(handler=with_library(cmd_index))

    similar = commands.add_parser("similar", help="the sounds closest to a file")
    similar.add_argument("file")
    add_span_options(similar)
    add_query_options(similar)
    add_scope_options(similar)
    similar.add_argument(
        "--musical",
        action="store_true",
        help="put first what fits the query: same tempo range and compatible key (a loop), "
        "same root (a tonal one-shot)",
    )
    similar.set_defaults(handler=engine_first(cmd_similar))

    search = commands.add_parser("search", help="sounds matching a description (needs a text backend: clap)")
    search.add_argument("text", help='for example "dusty vinyl snare"')
    add_query_options(search)
    search.set_defaults(handler=with_library(cmd_search, one_query=True))

    tags = commands.add_parser("tags", help="what is this sound: tags from every enabled backend that names sounds")
    tags.add_argument("file")
    tags.add_argument("--json", action="store_true", help="print JSON")
    tags.set_defaults(handler=with_library(cmd_tags))

    stats = commands.add_parser("stats", help="library size, failures by reason, backends")
    stats.add_argument("--failures", action="store_true", help="list every failed file with its reason")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(handler=with_library(cmd_stats, existing=True))

    duplicates = commands.add_parser("duplicates", help="groups of copies of one sound (formats, rates, gains, trims)")
    duplicates.add_argument("--backend", help="backend whose neighbours are the candidates (default: the default)")
    duplicates.add_argument("--json", action="store_true", help="print JSON: a list of groups of paths")
    duplicates.set_defaults(handler=with_library(cmd_duplicates, existing=True))

    demo = commands.add_parser("demo", help="index a folder (or a generated demo library) and show matches")
    demo.add_argument("folder", nargs="?", help="sample folder (default: generate a demo library)")
    demo.set_defaults(handler=demo_handler)
    add_musical_parser(commands, with_library)
    add_forget_parser(commands, with_library)


def with_library(
    command: Callable[[argparse.Namespace, Library], int], existing: bool = False, one_query: bool = False
) -> Callable[[argparse.Namespace, Settings], int]:
    """Adapt a command that needs an open library to the ``(args, settings)`` handler shape.
    ``existing``: a query, which must not create a library where there is none (a data folder
    deleted under a running ``serve`` would silently come back empty). ``one_query``: a one-off
    query, which searches exactly over the memory-mapped saved index (at 100k samples ~0.1 s
    quicker than reading the saved approximate index), opened on trust when its state matches the
    catalog (no id list or checksum read through it), and never starts building one (minutes of
    work for a process that ends in a fraction of a second)."""

    def handler(args: argparse.Namespace, settings: Settings) -> int:
        if one_query:
            settings = dataclasses.replace(settings, index=dataclasses.replace(settings.index, approximate_above=0))
        from soundalike.engine.embedders.registry import BACKENDS, check_names
        from soundalike.engine.library.facade import Library

        data_dir = settings.engine.resolved_data_dir()
        check_names({settings.engine.default_backend, *settings.engine.backends}, BACKENDS)  # config first
        local = not settings.store.url  # a shared catalog is on its server, not in the data folder
        if existing and local and not (data_dir / "catalog.sqlite").exists() and not (data_dir / "index").is_dir():
            raise UserError(f"there is no library at {data_dir}: soundalike index ~/Samples (or --data-dir)")
        with Library(settings, one_query=one_query) as library:
            notice = unmapped_notice(library)
            if notice:
                print(f"soundalike: {notice}", file=sys.stderr)
            return command(args, library)

    return handler


def unmapped_notice(library: Library) -> str | None:
    """One line on the shared catalog's roots this machine has no path for, or None."""
    unmapped = library.browse.unmapped_roots()
    if not unmapped:
        return None
    names = ", ".join(f"{name} ({count})" for name, count in sorted(unmapped.items()))
    return (
        f"{sum(unmapped.values())} samples are under roots not mapped on this machine and left out: {names}; "
        'map them under [store] roots = ["NAME=LOCAL PATH"] (soundalike doctor)'
    )


def engine_first(
    command: Callable[[argparse.Namespace, Library], int],
) -> Callable[[argparse.Namespace, Settings], int]:
    """``similar``: ask the running engine (``serve`` owns the library and answers OSC) when the
    query needs nothing OSC cannot say; otherwise, or when it does not answer, open the library."""
    local = with_library(command, one_query=True)

    def handler(args: argparse.Namespace, settings: Settings) -> int:
        if _engine_can_answer(args, settings):
            answered = _ask_engine(args, settings)
            if answered is not None:
                return answered
        return local(args, settings)

    return handler


def _engine_can_answer(args: argparse.Namespace, settings: Settings) -> bool:
    plain = (
        args.start is None
        and args.end is None
        and not args.backend
        and not args.aspect
        and not args.tag
        and not args.under
        and not args.not_under
        and args.scope == "everywhere"
        and args.collapse
        and not args.musical
        and not any(musical_filter_fields(args).values())
    )
    if not plain or not settings.bridge.osc_enabled:
        return False
    owner = LibraryLock(settings.engine.resolved_data_dir()).current_owner()
    return owner is not None and "serve" in owner.command.split()


def _ask_engine(args: argparse.Namespace, settings: Settings) -> int | None:
    """Print the running engine's answer; None when it does not answer in time."""
    from soundalike.bridge.osc import protocol
    from soundalike.bridge.osc.client import OscClient

    host = settings.bridge.osc_host
    host = "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host
    started = time.perf_counter()
    try:
        with OscClient(host, settings.bridge.osc_port, timeout=ENGINE_TIMEOUT) as client:
            if settings.bridge.reply_port:
                client.set("reply_port", client.port)
            response = client.similar(os.path.abspath(args.file), args.k or 0)
    except (TimeoutError, OSError) as e:
        log.info("the running engine did not answer (%s): opening the library here", e)
        return None
    if response.error:
        raise UserError(response.error)
    hits = [(path, score) for _, path, score in response.hits]
    if args.json:
        print(
            json.dumps(
                [{"rank": rank, "path": path, "score": round(score, 6)} for rank, (path, score) in enumerate(hits, 1)],
                indent=1,
            )
        )
        return 0
    for *_counts, text in response.of(protocol.OWN):
        print(f"({text})")
    for rank, (path, score) in enumerate(hits, 1):
        print(f"{rank:3d}  {score:6.3f}  {path}")
    print(f"({len(hits)} results from the running engine in {(time.perf_counter() - started) * 1000:.1f} ms)")
    return 0


def cmd_index(args: argparse.Namespace, library: Library) -> int:
    if not args.folders and not library.browse.roots():
        raise UserError("no folders given and none indexed yet: soundalike index ~/Samples")
    from soundalike.engine.tools.demo import forget_old_demo

    if args.folders and (dropped := forget_old_demo(library, args.folders)):
        print(f"the demo's {dropped} sounds left your library (the demo is a library of its own now)")
    report = scan_with_progress(library, args.folders or None)
    print_scan_report(report)
    return 0


def scan_with_progress(library: Library, folders) -> ScanReport:
    bar = ProgressBar("indexing")
    try:
        return library.scan(folders, progress=bar.update)
    finally:
        bar.close()


def print_scan_report(report: ScanReport) -> None:
    rate = report.indexed / report.seconds if report.seconds > 0 else 0.0
    print(
        f"{report.seen} audio files seen: {report.indexed} indexed, {report.unchanged} unchanged, "
        f"{len(report.failed)} failed, {report.missing} gone  ({report.seconds:.1f} s, {rate:.0f} files/s)"
    )
    if report.revived:
        print(
            f"{report.revived} of the unchanged were back from offline or missing: restored from their "
            f"stored vectors, not decoded again"
        )
    for root in report.offline_roots:
        print(f"offline: {readable(root)} is not there (unplugged drive?); its samples are kept, marked offline")
    if report.failed:
        print("failures by reason:")
        by_reason = Counter(reason for _, reason in report.failed)
        examples = {reason: path for path, reason in reversed(report.failed)}
        for reason, count in by_reason.most_common():
            print(f"  {count:5d}  {readable(reason)}   e.g. {readable(examples[reason])}")
        print("  (all failures: soundalike stats --failures)")


def cmd_similar(args: argparse.Namespace, library: Library) -> int:
    if args.start is not None or args.end is not None:
        from soundalike.commands.clips import similar_to_span

        return similar_to_span(args, library)
    from soundalike.engine.library.query import SimilarQuery

    started = time.perf_counter()
    weights, filters = parse_weights(args.aspect), query_filters(args, library)
    try:
        folded = library.similar(
            SimilarQuery(
                args.file,
                k=args.k,
                backend=args.backend,
                weights=weights,
                filters=filters,
                musical=args.musical,
                collapse=args.collapse,
                not_under=left_out(args, library, args.file),
            )
        )
    except ValueError as e:
        raise UserError(str(e)) from e
    return print_hits(args, folded, (time.perf_counter() - started) * 1000, library, folded.own)


def cmd_search(args: argparse.Namespace, library: Library) -> int:
    if args.aspect:
        raise UserError("--aspect applies to similar, not to text search")
    from soundalike.engine.library.query import TextQuery

    started = time.perf_counter()
    filters = query_filters(args, library)
    try:
        folded = library.search(
            TextQuery(
                args.text,
                k=args.k,
                backend=args.backend,
                filters=filters,
                collapse=args.collapse,
                not_under=left_out(args, library, None),
            )
        )
    except ValueError as e:
        raise UserError(str(e)) from e
    return print_hits(args, folded, (time.perf_counter() - started) * 1000, library)


def cmd_tags(args: argparse.Namespace, library: Library) -> int:
    tags = library.tag_file(args.file)
    if args.json:
        print(json.dumps(tags, indent=1))
        return 0
    if not tags:
        print("no enabled backend names sounds")
    for backend, scores in tags.items():
        print(f"{backend}: " + ", ".join(scored_labels(scores, library.settings.engine.tag_confidence)))
    return 0


def cmd_stats(args: argparse.Namespace, library: Library) -> int:
    stats = library.stats()
    if args.json:
        print(json.dumps(stats, indent=1))
        return 0
    print(f"library: {stats['data_dir']}")
    print(f"roots: {', '.join(map(readable, stats['roots'])) or '(none)'}")
    by_status = ", ".join(f"{count} {status}" for status, count in sorted(stats["by_status"].items()))
    print(f"samples: {stats['samples']} ({by_status or 'none'})")
    for backend, count in stats["indexed"].items():
        print(f"backend {backend}: {count} searchable")
    for reason, count in stats["failure_reasons"].items():
        print(f"  failed {count:5d}  {readable(reason)}")
    if args.failures:
        for path, reason in library.browse.failures():
            print(f"{readable(path)}\t{readable(reason)}")
    return 0


def cmd_duplicates(args: argparse.Namespace, library: Library) -> int:
    from soundalike.engine.tools.duplicates import find_duplicates

    started = time.perf_counter()
    groups = find_duplicates(library, args.backend)
    if args.json:
        print(json.dumps([[row.path for row in group] for group in groups], indent=1))
        return 0
    for number, group in enumerate(groups, 1):
        print(f"group {number} ({len(group)} copies):")
        for row in group:
            print(f"  {readable(row.path)}   [{row.format}, {row.sample_rate} Hz, {row.peak_db:.1f} dBFS peak]")
    copies = sum(len(g) - 1 for g in groups)
    print(f"{len(groups)} groups, {copies} redundant copies ({time.perf_counter() - started:.1f} s)")
    return 0


def demo_handler(args: argparse.Namespace, settings: Settings) -> int:
    """``demo FOLDER`` indexes FOLDER into the library; ``demo`` alone uses the demo's own library."""
    from soundalike.engine.tools.demo import demo_settings

    if args.folder:
        return with_library(cmd_demo)(args, settings)
    settings = demo_settings(settings)
    print(f"the demo is a library of its own, in {settings.engine.resolved_data_dir()}")
    return with_library(cmd_demo)(args, settings)


def cmd_demo(args: argparse.Namespace, library: Library) -> int:
    from soundalike.engine.library.query import SimilarQuery

    folder = Path(args.folder) if args.folder else paths.cache_dir() / "demo-library"
    if not args.folder:
        from soundalike.engine.tools.demo import build_demo_library

        print(f"generating a demo library of drum one-shots in {folder}")
        build_demo_library(folder)
    report = scan_with_progress(library, [str(folder)])
    print_scan_report(report)
    examples = _examples(library, str(folder.resolve()))
    for path in examples:
        print(f"\nsounds like {readable(path)}:")
        started = time.perf_counter()
        hits = library.similar(SimilarQuery(path, k=5, collapse=False)).hits
        for rank, hit in enumerate(hits, 1):
            print(f"  {rank}  {hit.score:6.3f}  {readable(hit.path)}")
        print(f"  ({(time.perf_counter() - started) * 1000:.1f} ms)")
    print("\nnext: soundalike similar FILE  |  soundalike stats  |  soundalike --help")
    return 0


def _examples(library: Library, root: str, count: int = 3) -> list[str]:
    from soundalike.engine.library.browse import Filters

    rows = library.browse.rows(Filters(under=root, status="ok"), limit=100_000)
    step = max(1, len(rows) // count)
    return [row.path for row in rows[::step][:count]]
