"""The listing's window onto the catalog: pages near the end read from the end, rows before the
count, one row read again after a star."""

from __future__ import annotations

import pytest

from soundalike.engine.library.browse import LibraryBrowse
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.sqlite import SqliteStore
from soundalike.tui.rows import RowSource

COUNT = 230


class Watched(LibraryBrowse):
    """The real browse, noting each page's offset and each count it is asked for."""

    def __init__(self, catalog):
        super().__init__(catalog)
        self.offsets: list[tuple[int, bool]] = []
        self.counts = 0

    def page(self, filters, offset=0, limit=200, from_end=False):
        self.offsets.append((offset, from_end))
        return super().page(filters, offset, limit, from_end)

    def count(self, filters):
        self.counts += 1
        return super().count(filters)


@pytest.fixture
def browse(tmp_path):
    store = SqliteStore(tmp_path / "catalog.sqlite")
    with store.transaction() as tx:
        for n in range(COUNT):
            tx.record_sample(
                path=f"/S/s{n:04d}.wav",
                root="/S",
                size=1,
                mtime=1.0,
                content_hash=None,
                status="ok",
                reason=None,
                facts=None,
            )
    yield Watched(store)
    store.close()


def test_the_last_rows_are_read_from_the_end_not_past_every_row_before_them(browse):
    source = RowSource(browse, Filters(), page_size=20)
    assert [source.row(i).path for i in (COUNT - 1, COUNT - 21, COUNT // 2 + 20)] == [
        f"/S/s{COUNT - 1:04d}.wav",
        f"/S/s{COUNT - 21:04d}.wav",
        f"/S/s{COUNT // 2 + 20:04d}.wav",
    ]
    assert all(from_end and offset < COUNT // 2 for offset, from_end in browse.offsets)
    assert source.row(COUNT) is None and source.row(3).path == "/S/s0003.wav"


def test_rows_are_read_before_the_listing_is_counted(browse):
    source = RowSource(browse, Filters(), page_size=50, count=False)
    assert source.row(0).path == "/S/s0000.wav" and browse.counts == 0
    assert not source.counted and source.count == 50  # as long as what has been read
    source.set_count(browse.count(source.query))
    assert source.counted and source.count == COUNT and source.row(COUNT - 1).path == f"/S/s{COUNT - 1:04d}.wav"
    short = RowSource(browse, Filters(path_contains="s000"), page_size=50, count=False)
    assert short.row(0) is not None and short.counted and short.count == 10  # one short page: counted by reading


def test_a_star_reads_its_one_row_again(browse):
    source = RowSource(browse, Filters(), page_size=50)
    sid, counts = source.row(7).id, browse.counts
    browse._catalog.set_favourite(sid, True)
    assert source.update_rows([sid]) and source.row(7).favourite and browse.counts == counts
    favourites = RowSource(browse, Filters(favourites_only=True), page_size=50)
    assert favourites.row(0).id == sid and not favourites.update_rows([sid])  # the listing itself changes
    elsewhere = browse.page(Filters(), 120, 1)[0].id
    assert not source.update_rows([elsewhere])  # not on a cached page (or new): read the listing again
