"""The library commands: index, similar, stats and the demo."""
from __future__ import annotations

import argparse
import difflib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from soundalike.commands.musical import add_musical_options, facts_json, musical_filter_fields
from soundalike.commands.musical import add_parser as add_musical_parser
from soundalike.engine import paths
from soundalike.engine.config import Settings
from soundalike.engine.embedders.registry import BACKENDS, check_names
from soundalike.engine.errors import UserError
from soundalike.engine.library.browse import Filters, readable
from soundalike.engine.library.collapse import Group, grouped
from soundalike.engine.library.facade import Hit, Library, ScanReport
from soundalike.engine.musical.filters import describe
from soundalike.engine.tags import TAG_CONFIDENCE, scored_labels
from soundalike.engine.tools.demo import build_demo_library
from soundalike.engine.tools.duplicates import find_duplicates
from soundalike.engine.weights import parse_weights
from soundalike.progress import ProgressBar

log = logging.getLogger(__name__)


def add_parsers(commands) -> None:
    index = commands.add_parser("index", help="index the audio files under folders")
    index.add_argument("folders", nargs="*", help="folders to add and scan (default: every known root)")
    index.set_defaults(handler=with_library(cmd_index))

    similar = commands.add_parser("similar", help="the sounds closest to a file")
    similar.add_argument("file")
    add_span_options(similar)
    add_query_options(similar)
    similar.add_argument("--musical", action="store_true",
                         help="put first what fits the query: same tempo range and compatible key (a loop), "
                              "same root (a tonal one-shot)")
    similar.set_defaults(handler=with_library(cmd_similar))

    search = commands.add_parser("search", help="sounds matching a description (needs a text backend: clap)")
    search.add_argument("text", help='for example "dusty vinyl snare"')
    add_query_options(search)
    search.set_defaults(handler=with_library(cmd_search))

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
    demo.set_defaults(handler=with_library(cmd_demo))
    add_musical_parser(commands, with_library)


def add_query_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", type=positive_int, default=None,
                        help="how many results, 1 or more (default: [index] default_k in config)")
    parser.add_argument("--backend", help="backend (default: the configured default)")
    parser.add_argument("--aspect", help="weight aspects: 'timbre' or 'timbre=1,envelope=0.5'")
    parser.add_argument("--tag", help="only samples with this tag")
    parser.add_argument("--under", help="only samples under this folder")
    parser.add_argument("--json", action="store_true", help="print a JSON list of {path, score, ...}")
    parser.add_argument("--no-collapse", dest="collapse", action="store_false",
                        help="list copies and velocity layers of one sound as separate results "
                             "(default: one result each, the others under 'folded')")
    add_musical_options(parser)


def positive_int(text: str) -> int:
    """``-k``: a whole number of at least 1 (0 used to mean "the default" silently)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} results: give 1 or more (leave -k out for the default)")
    return value


def with_library(command: Callable[[argparse.Namespace, Library], int],
                 existing: bool = False) -> Callable[[argparse.Namespace, Settings], int]:
    """Adapt a command that needs an open library to the ``(args, settings)`` handler shape.
    ``existing``: a query, which must not create a library where there is none (a data folder
    deleted under a running ``serve`` would silently come back empty)."""
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        data_dir = settings.engine.resolved_data_dir()
        check_names({settings.engine.default_backend, *settings.engine.backends}, BACKENDS)  # config first
        if existing and not (data_dir / "catalog.sqlite").exists() and not (data_dir / "index").is_dir():
            raise UserError(f"there is no library at {data_dir}: soundalike index ~/Samples (or --data-dir)")
        with Library(settings) as library:
            return command(args, library)
    return handler


def cmd_index(args: argparse.Namespace, library: Library) -> int:
    if not args.folders and not library.roots():
        raise UserError("no folders given and none indexed yet: soundalike index ~/Samples")
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
    print(f"{report.seen} audio files seen: {report.indexed} indexed, {report.unchanged} unchanged, "
          f"{len(report.failed)} failed, {report.missing} gone  ({report.seconds:.1f} s, {rate:.0f} files/s)")
    if report.revived:
        print(f"{report.revived} of the unchanged were back from offline or missing: restored from their "
              f"stored vectors, not decoded again")
    for root in report.offline_roots:
        print(f"offline: {readable(root)} is not there (unplugged drive?); its samples are kept, marked offline")
    if report.failed:
        print("failures by reason:")
        by_reason = Counter(reason for _, reason in report.failed)
        examples = {reason: path for path, reason in reversed(report.failed)}
        for reason, count in by_reason.most_common():
            print(f"  {count:5d}  {readable(reason)}   e.g. {readable(examples[reason])}")
        print("  (all failures: soundalike stats --failures)")


def query_filters(args: argparse.Namespace, library: Library | None = None) -> Filters:
    """--tag, --under and the musical options as Filters; with ``library``, an unknown tag is an
    error naming the close ones."""
    if args.tag and library is not None:
        check_tag(library, args.tag)
    sure = library.settings.engine.tag_confidence if library is not None else TAG_CONFIDENCE
    return Filters(tag=args.tag, tag_min_score=sure, under=os.path.abspath(args.under) if args.under else None,
                   **musical_filter_fields(args))


def check_tag(library: Library, tag: str) -> None:
    known = [name for name, _ in library.browse.all_tags()]
    if tag in known:
        return
    close = difflib.get_close_matches(tag, known, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else (
        f"tags in this library: {', '.join(known[:12])}" if known else "no sample has any tag yet")
    raise UserError(f"--tag {tag}: no sample has this tag; {hint}")


def add_span_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", type=float, metavar="SECONDS", help="search with a span from here")
    parser.add_argument("--to", dest="end", type=float, metavar="SECONDS", help="... to here (trimmed to its first hit)")


def cmd_similar(args: argparse.Namespace, library: Library) -> int:
    if args.start is not None or args.end is not None:
        from soundalike.commands.listen import similar_to_span
        return similar_to_span(args, library)
    started = time.perf_counter()
    weights, filters = parse_weights(args.aspect), query_filters(args, library)
    try:
        groups = grouped(library, lambda k: library.similar(args.file, k=k, backend=args.backend, weights=weights,
                                                            filters=filters, musical=args.musical),
                         args.k, args.backend, args.collapse)
    except ValueError as e:
        raise UserError(str(e)) from e
    return print_hits(args, groups, (time.perf_counter() - started) * 1000, library)


def cmd_search(args: argparse.Namespace, library: Library) -> int:
    if args.aspect:
        raise UserError("--aspect applies to similar, not to text search")
    started = time.perf_counter()
    filters = query_filters(args, library)
    try:
        backend = library.text_backend(args.backend)
        groups = grouped(library, lambda k: library.search_text(args.text, k=k, backend=backend, filters=filters),
                         args.k, backend, args.collapse)
    except ValueError as e:
        raise UserError(str(e)) from e
    return print_hits(args, groups, (time.perf_counter() - started) * 1000, library)


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


def print_hits(args: argparse.Namespace, groups: list[Group], elapsed_ms: float, library: Library | None = None) -> int:
    """One line per result, with its musical facts; copies and layers folded into a result are
    counted on its line (listed under "folded" in JSON)."""
    facts = library.musical_of(group.lead.sample.id for group in groups) if library is not None else {}
    if args.json:
        print(json.dumps([{**hit_json(rank, group.lead), **_musical_fields(facts.get(group.lead.sample.id))}
                          | ({"folded": [h.path for h in group.members]} if group.members else {})
                          for rank, group in enumerate(groups, 1)], indent=1))
        return 0
    if not groups:
        filtered = getattr(args, "tag", None) or getattr(args, "under", None)
        print("no results with these filters (--tag, --under)" if filtered else
              "no results: is the library empty? soundalike index ~/Samples")
    for rank, group in enumerate(groups, 1):
        musical = describe(facts.get(group.lead.sample.id))
        folded = f"   ({group.summary()})" if group.members else ""
        print(f"{rank:3d}  {group.lead.score:6.3f}  {readable(group.lead.path)}"
              + (f"  [{musical}]" if musical else "") + folded)
    folded_in = sum(len(group.members) for group in groups)
    note = f"; {folded_in} copies/layers folded in, --no-collapse lists them" if folded_in else ""
    print(f"({len(groups)} results in {elapsed_ms:.1f} ms{note})")
    return 0


def _musical_fields(facts) -> dict:
    fields = facts_json(facts)
    return {name: fields[name] for name in ("kind", "bpm", "key", "root")}


def hit_json(rank: int, hit: Hit) -> dict:
    return {"rank": rank, "path": hit.path, "score": round(hit.score, 6), "id": hit.sample.id,
            "duration": hit.sample.duration}


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


def cmd_demo(args: argparse.Namespace, library: Library) -> int:
    folder = Path(args.folder) if args.folder else paths.cache_dir() / "demo-library"
    if not args.folder:
        print(f"generating a demo library of drum one-shots in {folder}")
        build_demo_library(folder)
    report = scan_with_progress(library, [str(folder)])
    print_scan_report(report)
    examples = _examples(library, str(folder.resolve()))
    for path in examples:
        print(f"\nsounds like {readable(path)}:")
        started = time.perf_counter()
        hits = library.similar(path, k=5)
        for rank, hit in enumerate(hits, 1):
            print(f"  {rank}  {hit.score:6.3f}  {readable(hit.path)}")
        print(f"  ({(time.perf_counter() - started) * 1000:.1f} ms)")
    print("\nnext: soundalike similar FILE  |  soundalike stats  |  soundalike --help")
    return 0


def _examples(library: Library, root: str, count: int = 3) -> list[str]:
    rows = library.browse.rows(Filters(under=root, status="ok"), limit=100_000)
    step = max(1, len(rows) // count)
    return [row.path for row in rows[::step][:count]]
