"""The approximate index: built in the background past a size, close to exact, kept in step."""

from __future__ import annotations

import numpy as np

from soundalike.engine.config import IndexSettings
from soundalike.engine.store.index import VectorIndex

SETTINGS = IndexSettings(approximate_above=3000, approximate_lists=32, approximate_probe=8)


def clustered(count: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dim))
    vectors = centres[rng.integers(50, size=count)] + 0.4 * rng.standard_normal((count, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_below_the_size_search_stays_exact():
    index = VectorIndex(32, approximate=SETTINGS)
    index.add(np.arange(1000), clustered(1000))
    assert not index.wait_approximate(5) and not index.approximate_ready


def test_a_read_only_query_never_starts_a_build_for_copy_candidates():
    settings = IndexSettings(approximate_above=100_000, approximate_lists=32)
    index = VectorIndex(32, approximate=settings)
    index.add(np.arange(25_000), clustered(25_000))  # past the copy-candidate size, short of the query size
    index.search(clustered(1, seed=4)[0], 10)
    assert not index.wait_approximate(1)
    index.neighbours(clustered(2, seed=5), 3)  # a write looks for copies: now it is built
    assert index.wait_approximate(60)


def test_past_the_size_it_takes_over_close_to_exact_and_follows_changes():
    vectors = clustered(6000)
    exact = VectorIndex(32)
    exact.add(np.arange(6000), vectors)
    index = VectorIndex(32, approximate=SETTINGS)
    index.add(np.arange(6000), vectors)
    index.remove([5])  # while it is being built: replayed
    assert index.wait_approximate(60)
    queries = clustered(50, seed=1)
    recall = np.mean(
        [len({i for i, _ in index.search(q, 10)} & {i for i, _ in exact.search(q, 10) if i != 5}) / 10 for q in queries]
    )
    assert recall >= 0.9
    assert all(i != 5 for q in queries for i, _ in index.search(q, 10))
    fresh = clustered(1, seed=2)[0]
    index.add(np.array([99_999]), fresh[None, :])
    assert index.search(fresh, 1)[0][0] == 99_999
    index.remove([99_999])
    assert index.search(fresh, 1)[0][0] != 99_999
    filtered = index.search(queries[0], 3, allowed=np.array([1, 2, 3]))  # filters: exact, over those ids
    assert sorted(i for i, _ in filtered) == [1, 2, 3]


def test_near_duplicates_are_found_from_a_few_lists():
    vectors = clustered(6000)
    index = VectorIndex(32, approximate=IndexSettings(approximate_above=3000, approximate_lists=64))
    index.add(np.arange(6000), vectors)
    assert index.wait_approximate(60)
    copies = vectors[:200] + 0.01 * np.random.default_rng(3).standard_normal((200, 32)).astype(np.float32)
    _, found = index.neighbours(copies / np.linalg.norm(copies, axis=1, keepdims=True), 3)
    assert sum(row in found[row] for row in range(200)) >= 198


def saved_with_approximate(tmp_path):
    path = tmp_path / "bands.faiss"
    index = VectorIndex(32, path, approximate=SETTINGS)
    index.add(np.arange(6000), clustered(6000))
    index.search(clustered(1, seed=3)[0], 10)  # the first query past the size starts the build
    assert index.wait_approximate(60)
    index.save()
    assert index.approximate_path.exists() and index.approximate_checksum and not index.dirty
    return path, index


def no_rebuild():
    raise AssertionError("rebuilt although the file was sound")


def test_a_saved_approximate_index_is_searched_on_open_without_a_build(tmp_path):
    path, index = saved_with_approximate(tmp_path)
    again = VectorIndex.open(
        path,
        32,
        np.arange(6000),
        no_rebuild,
        checksum=index.checksum,
        approximate=SETTINGS,
        approximate_checksum=index.approximate_checksum,
    )
    assert again.approximate_ready and again._builder is None
    query = clustered(1, seed=4)[0]
    assert again.search(query, 10) == index.search(query, 10)
    again.add(np.array([7000]), query[None, :])  # the mapped vectors are copied before a change
    assert again.search(query, 1)[0][0] == 7000 and again.dirty
    again.save()
    third = VectorIndex.open(
        path,
        32,
        np.arange(6000).tolist() + [7000],
        no_rebuild,
        checksum=again.checksum,
        approximate=SETTINGS,
        approximate_checksum=again.approximate_checksum,
    )
    assert third.approximate_ready and third.search(query, 1)[0][0] == 7000


def test_a_damaged_or_missing_approximate_index_is_built_again_exact_meanwhile(tmp_path):
    path, index = saved_with_approximate(tmp_path)
    data = bytearray(index.approximate_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    index.approximate_path.write_bytes(bytes(data))
    for checksum in (index.approximate_checksum, None):  # damaged; or not saved with this exact index
        again = VectorIndex.open(
            path,
            32,
            np.arange(6000),
            no_rebuild,
            checksum=index.checksum,
            approximate=SETTINGS,
            approximate_checksum=checksum,
        )
        assert not again.approximate_ready
        query = clustered(1, seed=5)[0]
        assert again.search(query, 10) == VectorIndex.search(index, query, 10, allowed=np.arange(6000))
        assert again.wait_approximate(60)  # that query started the build in the background


def test_without_builds_a_saved_approximate_index_is_searched_and_none_is_started(tmp_path):
    import dataclasses

    path, index = saved_with_approximate(tmp_path)
    reading = dataclasses.replace(SETTINGS, build_approximate=False)
    again = VectorIndex.open(
        path,
        32,
        np.arange(6000),
        no_rebuild,
        checksum=index.checksum,
        approximate=reading,
        approximate_checksum=index.approximate_checksum,
    )
    assert again.approximate_ready
    alone = VectorIndex.open(path, 32, np.arange(6000), no_rebuild, checksum=index.checksum, approximate=reading)
    query = clustered(1, seed=6)[0]
    assert alone.search(query, 10) and alone.neighbours(query[None, :], 3)[1].size
    assert alone._builder is None and not alone.approximate_ready
