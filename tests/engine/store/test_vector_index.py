"""VectorIndex on its own: add/replace/remove by id, filtered search, save, damage.

Real FAISS on small exact data; no library, no threads.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from soundalike.engine.store import index_files
from soundalike.engine.store.index import VectorIndex


def unit(*rows) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


AXES = unit([1, 0, 0], [0, 1, 0], [0, 0, 1])


def filled() -> VectorIndex:
    index = VectorIndex(3)
    index.add(np.array([10, 20, 30]), AXES)
    return index


def test_search_ranks_by_inner_product_and_can_exclude_the_query():
    index = filled()
    query = unit([1, 0.5, 0])[0]
    hits = index.search(query, 3)
    assert [i for i, _ in hits] == [10, 20, 30]
    assert hits[0][1] == pytest.approx(float(query @ AXES[0]), abs=1e-6)
    assert [i for i, _ in index.search(query, 2, exclude=10)] == [20, 30]


def test_k_beyond_the_size_and_an_empty_index_are_not_errors():
    assert len(filled().search(AXES[0], 50)) == 3
    assert VectorIndex(3).search(AXES[0], 5) == []


def test_allowed_ids_restrict_the_search():
    index = filled()
    query = unit([1, 0.2, 0.5])[0]
    assert [i for i, _ in index.search(query, 3)] == [10, 30, 20]
    assert [i for i, _ in index.search(query, 3, allowed=np.array([20, 30]))] == [30, 20]
    assert index.search(AXES[0], 3, allowed=np.array([], dtype=np.int64)) == []


def test_adding_an_id_again_replaces_its_vector_instead_of_duplicating_it():
    index = filled()
    index.add(np.array([10]), AXES[2:3])
    assert len(index) == 3 and sorted(index.ids().tolist()) == [10, 20, 30]
    np.testing.assert_allclose(index.reconstruct(10), AXES[2])
    assert {i for i, s in index.search(AXES[2], 2)} == {10, 30}


def test_remove_counts_only_ids_held():
    index = filled()
    assert index.remove([20, 99]) == 1 and index.remove([20]) == 0
    assert sorted(index.ids().tolist()) == [10, 30] and index.reconstruct(20) is None


def test_all_vectors_and_search_many_agree_with_single_searches():
    index = filled()
    ids, vectors = index.all_vectors()
    assert sorted(ids.tolist()) == [10, 20, 30] and vectors.shape == (3, 3)
    scores, found = index.search_many(AXES, 1)
    assert found[:, 0].tolist() == [10, 20, 30] and np.allclose(scores[:, 0], 1.0)


def test_dirty_until_saved_and_a_saved_index_reopens_without_a_rebuild(tmp_path):
    path = tmp_path / "bands.faiss"
    index = VectorIndex(3, path)
    assert not index.dirty
    index.add(np.array([10, 20, 30]), AXES)
    assert index.dirty
    index.save()
    assert not index.dirty and path.exists() and index.checksum

    def no_rebuild():
        raise AssertionError("rebuilt although the file was sound")

    again = VectorIndex.open(path, 3, np.array([30, 20, 10]), no_rebuild, checksum=index.checksum)
    assert sorted(again.ids().tolist()) == [10, 20, 30] and not again.dirty
    assert again.remove([10]) == 1 and again.dirty


def test_the_checksum_covers_every_byte_and_blake2_state_files_still_check(tmp_path):
    """Summed a step at a time (a 100k index is >100 MB), it still covers every byte: a flip in any
    step, or two words swapped, changes it; a BLAKE2 digest (state files written before) still checks."""
    path = tmp_path / "many.faiss"
    index = VectorIndex(3, path)
    index.add(np.arange(5000), unit(*np.random.default_rng(0).standard_normal((5000, 3))))
    index.save()
    data = path.read_bytes()
    assert len(data) > 3 * 4096 and index.checksum == index_files.checksum_of(path)
    assert index_files.matches(path, index.checksum)
    assert index_files.matches(path, hashlib.blake2b(data, digest_size=16).hexdigest())
    array = np.frombuffer(data, np.uint8)
    flipped, swapped = array.copy(), array.copy()
    flipped[2 * 4096 + 7] ^= 0x01  # in a middle step
    swapped[:8], swapped[8:16] = array[8:16], array[:8]
    short = array[:-1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_files, "WORDS_PER_STEP", 512)
        assert index_files.fast_checksum(array) == index.checksum
        assert len({index_files.fast_checksum(a) for a in (array, flipped, swapped, short)}) == 4


@pytest.mark.parametrize("damage", ["flip", "ids"])
def test_a_damaged_or_disagreeing_file_is_rebuilt_from_the_stored_vectors(tmp_path, damage):
    path = tmp_path / "bands.faiss"
    index = VectorIndex(3, path)
    index.add(np.array([10, 20, 30]), AXES)
    index.save()
    expected = np.array([10, 20, 30])
    if damage == "flip":
        data = bytearray(path.read_bytes())
        data[-5] ^= 0xFF
        path.write_bytes(bytes(data))
    else:
        expected = np.array([10, 20, 30, 40])  # the catalog holds a vector the file lacks
    stored = (expected, unit(*([1, 0, 0] for _ in expected)))
    calls = []
    rebuilt = VectorIndex.open(path, 3, expected, lambda: calls.append(1) or stored, checksum=index.checksum)
    assert calls == [1] and sorted(rebuilt.ids().tolist()) == expected.tolist()


@pytest.mark.parametrize("file_gone", [False, True])
def test_an_opened_index_is_mapped_and_copied_before_its_first_change(tmp_path, file_gone):
    path = tmp_path / "bands.faiss"
    index = VectorIndex(3, path)
    index.add(np.array([10, 20, 30]), AXES)
    index.save()
    again = VectorIndex.open(path, 3, np.array([10, 20, 30]), lambda: None, checksum=index.checksum)
    assert again.search(AXES[1], 1)[0][0] == 20
    if file_gone:  # read again from the file, or (gone) copied in memory
        path.unlink()
    again.add(np.array([40]), unit([1, 1, 0]))
    assert again.remove([10]) == 1 and sorted(again.ids().tolist()) == [20, 30, 40]
    assert again.search(unit([1, 1, 0])[0], 1)[0][0] == 40 and again.dirty
    again.save()
    assert sorted(VectorIndex.open(path, 3, np.array([20, 30, 40]), lambda: None, checksum=again.checksum).ids()) == [
        20,
        30,
        40,
    ]


def test_an_index_opened_on_trust_searches_its_file_and_refuses_one_of_another_length(tmp_path):
    path = tmp_path / "bands.faiss"
    index = VectorIndex(3, path)
    index.add(np.array([10, 20, 30]), AXES)
    index.save()
    assert index.checksum is not None
    trusted = VectorIndex.open_unchecked(path, 3, index.checksum)
    assert trusted is not None and trusted.search(AXES[2], 1)[0][0] == 30
    assert VectorIndex.open_unchecked(path, 4, index.checksum) is None  # another width
    with open(path, "ab") as handle:
        handle.write(b"\0" * 8)  # a file that is not the one saved
    assert VectorIndex.open_unchecked(path, 3, index.checksum) is None
    assert VectorIndex.open_unchecked(path, 3, "0123abcd") is None  # a BLAKE2 state: checked the slow way
