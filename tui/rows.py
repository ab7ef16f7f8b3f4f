"""A paged, cached window onto a library listing: the list widget asks for rows by index.

Only the pages on screen are ever read (200 rows per SQL query; a page in the second half of the
listing from its end), so a million-sample library costs about what a 100-sample one does to show.
``refresh()`` drops the cache and counts again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Iterable

from soundalike.engine.library.browse import Filters, LibraryBrowse, SampleRow
from soundalike.engine.library.collapse import Group
from soundalike.engine.library.facade import Hit
from soundalike.engine.musical.analysis import Musical
from soundalike.tui.widgets.columns import SORTS

log = logging.getLogger(__name__)


class RowSource:
    """``count``: False leaves the listing uncounted (``counted`` False) until :meth:`recount`: its
    rows can be read and shown first, and ``count`` is then what has been read so far. Counting a
    million-sample listing takes longer than a keystroke; reading its first page does not."""

    def __init__(
        self, browse: LibraryBrowse, query: Filters, page_size: int = 200, cached_pages: int = 16, count: bool = True
    ):
        self.browse = browse
        self.query = query
        self.page_size = page_size
        self._cached_pages = cached_pages
        self._pages: OrderedDict[int, tuple[list[SampleRow], dict[int, list[str]]]] = OrderedDict()
        self._musical: dict[int, Musical] = {}  # sample id -> facts, for the cached pages
        self.count, self.counted = 0, False
        if count:
            self.recount()

    def recount(self) -> None:
        """Count the listing (it reads every match: on a worker thread, then :meth:`set_count`)."""
        self.set_count(self.browse.count(self.query))

    def set_count(self, count: int) -> None:
        self.count, self.counted = count, True

    def refresh(self, query: Filters | None = None) -> None:
        if query is not None:
            self.query = query
        self._pages.clear()
        self._musical.clear()
        self.recount()

    def _page(self, number: int) -> tuple[list[SampleRow], dict[int, list[str]]]:
        page = self._pages.get(number)
        if page is None:
            rows = self._read(number)
            tags = self.browse.top_tags([r.id for r in rows], self.query.tag_min_score)
            page = self._pages[number] = (rows, tags)
            self._musical.update(self.browse.musical(r.id for r in rows))
            while len(self._pages) > self._cached_pages:
                for old in self._pages.popitem(last=False)[1][0]:
                    self._musical.pop(old.id, None)
        else:
            self._pages.move_to_end(number)
        return page

    def _read(self, number: int) -> list[SampleRow]:
        """Page ``number``; in the listing's second half, read from its end (far cheaper than
        skipping every row before it). Uncounted, what it reads is the least the count can be."""
        start = number * self.page_size
        if self.counted and start > self.count // 2:
            back = self.count - start - self.page_size  # rows after this page
            return self.browse.page(self.query, max(0, back), self.page_size + min(0, back), from_end=True)
        rows = self.browse.page(self.query, start, self.page_size)
        if not self.counted:
            self.count = max(self.count, start + len(rows))
            if rows and len(rows) < self.page_size or not rows and number == 0:
                self.counted = True  # the listing's last page: its count is known without counting
        return rows

    def row(self, index: int) -> SampleRow | None:
        if index < 0 or (self.counted and index >= self.count):
            return None
        rows, _ = self._page(index // self.page_size)
        offset = index % self.page_size
        return rows[offset] if offset < len(rows) else None

    def tags(self, index: int) -> list[str]:
        row = self.row(index)
        if row is None:
            return []
        return self._page(index // self.page_size)[1].get(row.id, [])

    def musical(self, index: int) -> Musical | None:
        row = self.row(index)
        return self._musical.get(row.id) if row is not None else None

    def index_of(self, sample_id: int) -> int | None:
        """Where a sample sits in the listing now, or None when it is not listed."""
        row = self.browse.sample(sample_id)
        if row is None:
            return None
        index = self.browse.position(self.query, row.path)
        found = self.row(index)
        return index if found is not None and found.id == sample_id else None

    def update_rows(self, ids: Iterable[int]) -> bool:
        """Read these samples again (a star, a file indexed again) where the cached pages hold them,
        when the listing cannot change by it: no filter a change could take a sample in or out by,
        an order by path or by when added, each one cached and still at its path with its status.
        False: the listing must be read again."""
        q = self.query
        if (
            self.query.order not in ("path", "added")
            or not dataclasses.replace(q, under=None, not_under=None, path_contains=None, status=None).is_empty()
        ):
            return False
        ids = set(ids)
        where = {row.id: (number, n) for number, (rows, _) in self._pages.items() for n, row in enumerate(rows)}
        if not ids <= where.keys():
            return False  # a sample not on the cached pages: new, or elsewhere in the listing
        fresh = self.browse.samples(ids)
        for sid in ids:
            number, n = where[sid]
            row, old = fresh.get(sid), self._pages[number][0][n]
            if row is None or (row.path, row.status) != (old.path, old.status):
                return False
            self._pages[number][0][n] = row
        return True


def rank_score(group: Group) -> float:
    """Where a group ranks: its best score, which may be a softer layer's than the lead it is shown by."""
    return max(hit.score for hit in (group.lead, *group.copies, *group.layers))


class GroupSource:
    """Query results as collapsed groups (``soundalike.engine.library.collapse.Group``): one row per group, and a
    group's copies and layers as rows under it once it is opened (``toggle``). ``sort`` is a
    ``soundalike.tui.widgets.columns.SORTS`` name; "score" keeps the ranking."""

    def __init__(
        self,
        browse: LibraryBrowse,
        groups: list,
        tag_min_score: float = 0.5,
        sort: str = "score",
        expanded: frozenset[int] = frozenset(),
    ):
        self.browse, self.groups, self.tag_min_score = browse, list(groups), tag_min_score
        self.sort, self.expanded = sort, set(expanded)
        ids = [hit.sample.id for group in self.groups for hit in (group.lead, *group.members)]
        self._tags = browse.top_tags(ids, tag_min_score) if ids else {}
        self._layout()

    def _layout(self) -> None:
        key = SORTS[self.sort].key
        order = sorted(
            self.groups, key=lambda g: key(g.lead.sample, rank_score(g), self._tags.get(g.lead.sample.id, []))
        )
        self.entries: list[tuple[Hit, int, Group]] = []  # (hit, depth, group)
        for group in order:
            self.entries.append((group.lead, 0, group))
            if group.lead.sample.id in self.expanded:
                self.entries += [(hit, 1, group) for hit in group.members]
        self.count = len(self.entries)

    @property
    def hits(self) -> list:
        return [hit for hit, _, _ in self.entries]

    def set_sort(self, sort: str) -> None:
        self.sort = sort
        self._layout()

    def toggle(self, index: int) -> int | None:
        """Open or close the group at row ``index``; the row of its lead after (None: nothing folded)."""
        if not 0 <= index < self.count:
            return None
        group = self.entries[index][2]
        if not group.members:
            return None
        self.expanded ^= {group.lead.sample.id}
        self._layout()
        return next(i for i, (_, depth, g) in enumerate(self.entries) if g is group and depth == 0)

    def refresh(self, query=None) -> None:
        """Re-read the rows (a favourite or a status may have changed); ranking and grouping stay."""
        ids = [hit.sample.id for hit, _, _ in self.entries] + [h.sample.id for g in self.groups for h in g.members]
        fresh = self.browse.samples(ids)

        def again(hit):
            return type(hit)(fresh.get(hit.sample.id, hit.sample), hit.score)

        self.groups = [
            dataclasses.replace(
                g, lead=again(g.lead), copies=tuple(map(again, g.copies)), layers=tuple(map(again, g.layers))
            )
            for g in self.groups
        ]
        self._layout()

    def row(self, index: int) -> SampleRow | None:
        return self.entries[index][0].sample if 0 <= index < self.count else None

    def score(self, index: int) -> float | None:
        """A hit's score; on a group's own row, the group's (where it ranks, which may be a member's)."""
        if not 0 <= index < self.count:
            return None
        hit, depth, group = self.entries[index]
        return hit.score if depth else rank_score(group)

    def marker(self, index: int) -> str:
        """ "▸ " a closed group, "▾ " an open one, "  ↳ " a copy or layer under it, "" a lone result."""
        if not 0 <= index < self.count:
            return ""
        _, depth, group = self.entries[index]
        if depth:
            return "  ↳ "
        if not group.members:
            return ""
        return "▾ " if group.lead.sample.id in self.expanded else "▸ "

    def note(self, index: int, short: bool = False) -> str:
        """What a group's row folds in ("+2 copies, +1 layer", or ``short`` "+3"); "" for other rows."""
        if not 0 <= index < self.count or self.entries[index][1]:
            return ""
        group = self.entries[index][2]
        return (f"+{len(group.members)}" if group.members else "") if short else group.summary()

    def tags(self, index: int) -> list[str]:
        row = self.row(index)
        return self._tags.get(row.id, []) if row is not None else []

    def index_of(self, sample_id: int) -> int | None:
        return next((i for i, (h, _, _) in enumerate(self.entries) if h.sample.id == sample_id), None)
