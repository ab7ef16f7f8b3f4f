"""What query commands share: their options, the filters those make, and how results print.

Light to import (no FAISS, numpy or library at load): ``similar`` answered by the running engine
loads this and nothing heavier.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
from typing import TYPE_CHECKING

from soundalike.commands.musical import add_musical_options, facts_json, musical_filter_fields
from soundalike.engine.errors import UserError
from soundalike.engine.library.scope import folder_left_out
from soundalike.engine.musical.filters import describe

if TYPE_CHECKING:
    from soundalike.engine.library.browse import Filters
    from soundalike.engine.library.collapse import Group, Own
    from soundalike.engine.library.facade import Hit, Library


def readable(text: str) -> str:
    """A stored path or reason as a person can read it (see the library's browse part)."""
    from soundalike.engine.library.browse import readable as shown

    return shown(text)


def add_query_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-k", type=positive_int, default=None, help="how many results, 1 or more (default: [index] default_k in config)"
    )
    parser.add_argument("--backend", help="backend (default: the configured default)")
    parser.add_argument("--aspect", help="weight aspects: 'timbre' or 'timbre=1,envelope=0.5'")
    parser.add_argument("--tag", help="only samples with this tag")
    parser.add_argument("--under", help="only samples under this folder")
    parser.add_argument("--not-under", metavar="FOLDER", help="no samples from under this folder")
    parser.add_argument("--json", action="store_true", help="print a JSON list of {path, score, ...}")
    parser.add_argument(
        "--no-collapse",
        dest="collapse",
        action="store_false",
        help="list copies and velocity layers of one sound as separate results "
        "(default: one result each, the others under 'folded')",
    )
    add_musical_options(parser)


def add_scope_options(parser: argparse.ArgumentParser) -> None:
    """ "Other folders only" and "other packs", as the app's scope key (w) steps through them."""
    parser.add_argument(
        "--other-folders",
        dest="scope",
        action="store_const",
        const="other folders",
        default="everywhere",
        help="only results from other folders than the query's own",
    )
    parser.add_argument(
        "--other-packs",
        dest="scope",
        action="store_const",
        const="other packs",
        help="only results from other packs (first folder below the root) than the query's",
    )


def left_out(args: argparse.Namespace, library: Library, query: str | None) -> str | None:
    """The folder whose samples are not results: --not-under, or the query's folder or pack."""
    scope = getattr(args, "scope", "everywhere")
    if args.not_under and scope != "everywhere":
        raise UserError(f"--not-under and --{scope.replace(' ', '-')}: give one of them")
    if args.not_under:
        return os.path.abspath(args.not_under)
    return folder_left_out(scope, query, library.browse.roots()) if query is not None else None


def positive_int(text: str) -> int:
    """``-k``: a whole number of at least 1 (0 used to mean "the default" silently)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} results: give 1 or more (leave -k out for the default)")
    return value


def query_filters(args: argparse.Namespace, library: Library | None = None) -> Filters:
    """--tag, --under and the musical options as Filters; with ``library``, an unknown tag is an
    error naming the close ones."""
    from soundalike.engine.library.browse import Filters

    if args.tag and library is not None:
        check_tag(library, args.tag)
    from soundalike.engine.tags import TAG_CONFIDENCE

    sure = library.settings.engine.tag_confidence if library is not None else TAG_CONFIDENCE
    return Filters(
        tag=args.tag,
        tag_min_score=sure,
        under=os.path.abspath(args.under) if args.under else None,
        **musical_filter_fields(args),
    )


def check_tag(library: Library, tag: str) -> None:
    known = [name for name, _ in library.browse.all_tags()]
    if tag in known:
        return
    close = difflib.get_close_matches(tag, known, n=3, cutoff=0.6)
    hint = (
        f"did you mean {', '.join(close)}?"
        if close
        else (f"tags in this library: {', '.join(known[:12])}" if known else "no sample has any tag yet")
    )
    raise UserError(f"--tag {tag}: no sample has this tag; {hint}")


def add_span_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", type=float, metavar="SECONDS", help="search with a span from here")
    parser.add_argument(
        "--to", dest="end", type=float, metavar="SECONDS", help="... to here (trimmed to its first hit)"
    )


def print_hits(
    args: argparse.Namespace,
    groups: list[Group],
    elapsed_ms: float,
    library: Library | None = None,
    own: Own | None = None,
) -> int:
    """One line per result, with its musical facts; copies and layers folded into a result are
    counted on its line (listed under "folded" in JSON); the query's own copies and layers, which
    are not results, are said once first."""
    facts = library.browse.musical(group.lead.sample.id for group in groups) if library is not None else {}
    if args.json:
        print(
            json.dumps(
                [
                    {
                        **hit_json(rank, group.lead),
                        "score": round(group.score, 6),
                        **_musical_fields(facts.get(group.lead.sample.id)),
                    }
                    | ({"folded": [h.path for h in group.members]} if group.members else {})
                    for rank, group in enumerate(groups, 1)
                ],
                indent=1,
            )
        )
        return 0
    if own:
        print(f"({own.describe(readable)})")
    if not groups:
        filtered = getattr(args, "tag", None) or getattr(args, "under", None)
        print(
            "no results with these filters (--tag, --under)"
            if filtered
            else "no results: is the library empty? soundalike index ~/Samples"
        )
    for rank, group in enumerate(groups, 1):
        musical = describe(facts.get(group.lead.sample.id))
        folded = f"   ({group.summary()})" if group.members else ""
        print(
            f"{rank:3d}  {group.score:6.3f}  {readable(group.lead.path)}"
            + (f"  [{musical}]" if musical else "")
            + folded
        )
    folded_in = sum(len(group.members) for group in groups)
    note = f"; {folded_in} copies/layers folded in, --no-collapse lists them" if folded_in else ""
    print(f"({len(groups)} results in {elapsed_ms:.1f} ms{note})")
    return 0


def _musical_fields(facts) -> dict:
    fields = facts_json(facts)
    return {name: fields[name] for name in ("kind", "bpm", "key", "root")}


def hit_json(rank: int, hit: Hit) -> dict:
    return {
        "rank": rank,
        "path": hit.path,
        "score": round(hit.score, 6),
        "id": hit.sample.id,
        "duration": hit.sample.duration,
    }
