"""The approximate index is saved beside the exact one and searched again on the next open."""

from __future__ import annotations

import dataclasses
import hashlib

from soundalike.engine.config import IndexSettings
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from tests.conftest import TEST_BACKENDS

SMALL = IndexSettings(approximate_above=10, approximate_lists=4, approximate_probe=4)


def test_a_saved_approximate_index_is_searched_at_once_on_the_next_open(make_settings, drum_folder):
    settings = dataclasses.replace(make_settings(), index=SMALL)
    query = SimilarQuery(drum_folder / "Kit 0" / "cymbal_0.wav", collapse=False)
    with Library(settings, TEST_BACKENDS) as library:
        library.scan([drum_folder])
        index = library.index("bands")
        library.similar(query)  # the first query past the size starts the build
        assert index.wait_approximate(60)
        expected = [hit.path for hit in library.similar(query).hits]
    saved = settings.engine.resolved_data_dir() / "index" / "bands.approximate.faiss"
    assert saved.exists()
    with Library(settings, TEST_BACKENDS) as library:
        index = library.index("bands")
        assert index.approximate_ready and index._builder is None  # read back, not built
        assert [hit.path for hit in library.similar(query).hits] == expected
    saved.write_bytes(b"damaged")
    with Library(settings, TEST_BACKENDS) as library:
        index = library.index("bands")
        assert not index.approximate_ready  # damaged: exact answers, and it is built again
        assert [hit.path for hit in library.similar(query).hits] == expected
        assert index.wait_approximate(60)
    with Library(settings, TEST_BACKENDS) as library:
        assert library.index("bands").approximate_ready  # saved again on close


def test_an_index_saved_with_a_blake2_checksum_keeps_its_approximate_index(make_settings, drum_folder):
    """State files written before the fast checksum name the exact index by its BLAKE2 digest:
    opened once (even by a one-off query that does not read the approximate index), the fast
    checksum of the same bytes is recorded, and the approximate index still goes with it."""
    settings = dataclasses.replace(make_settings(), index=SMALL)
    with Library(settings, TEST_BACKENDS) as library:
        library.scan([drum_folder])
        library.index("bands").search(library.index("bands").reconstruct(1), 3)
        assert library.index("bands").wait_approximate(60)
    folder = settings.engine.resolved_data_dir() / "index"
    digest = hashlib.blake2b((folder / "bands.faiss").read_bytes(), digest_size=16).hexdigest()
    exact, approximate = folder / "bands.faiss.version", folder / "bands.approximate.faiss.version"
    version, fast = exact.read_text().split()
    saved_with, own = approximate.read_text().split()
    assert saved_with == fast and fast.startswith("f64:")
    exact.write_text(f"{version} {digest}")
    approximate.write_text(f"{digest} {own}")
    one_off = dataclasses.replace(settings, index=dataclasses.replace(SMALL, approximate_above=0))
    with Library(one_off, TEST_BACKENDS) as library:
        assert len(library.index("bands")) == 24 and not library.index("bands").approximate_ready
    assert (folder / "bands.faiss.version").read_text().split()[1].startswith("f64:")
    with Library(settings, TEST_BACKENDS) as library:
        assert library.index("bands").approximate_ready
