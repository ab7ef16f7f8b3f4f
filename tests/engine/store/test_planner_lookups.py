"""The catalog lookups the planner makes for every unchanged file (a 100k re-index).

``backends_of`` answered right but scanned the vectors' whole key once per 500 ids (its key starts
with the backend), so a re-index grew with the square of the library; these check the answer and
that SQLite searches the key rather than scanning it.
"""

from __future__ import annotations

import numpy as np
import pytest

from soundalike.engine.store import writes as cat
from soundalike.engine.store.catalog import HELD_BY_SQL, STORED_BACKENDS_SQL, Catalog


@pytest.fixture
def catalog(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    yield catalog
    catalog.close()


def add(catalog: Catalog, number: int, backends: tuple[str, ...]) -> int:
    with catalog.transaction() as tx:
        sid = cat.record_sample(
            tx,
            path=f"/S/{number}.wav",
            root="/S",
            size=1,
            mtime=1.0,
            content_hash=None,
            status="ok",
            reason=None,
            facts=None,
        )
        for backend in backends:
            cat.store_vector(tx, sid, backend, np.ones(4, np.float32) / 2)
    return sid


def test_backends_of_names_every_backend_of_each_sample_across_chunks(catalog):
    expected = {}
    for number in range(1203):  # more than two chunks of 500
        backends = (("bands",), ("bands", "clap"), ("clap",), ())[number % 4]
        sid = add(catalog, number, backends)
        if backends:
            expected[sid] = set(backends)
    asked = sorted(expected) + [999_999]  # one unknown id
    assert catalog.backends_of(asked) == expected
    assert catalog.stored_backends() == ["bands", "clap"]
    some = asked[::7]
    assert catalog.backends_of(some) == {sid: expected[sid] for sid in some if sid in expected}
    assert catalog.backends_of([]) == {}


def test_an_empty_catalog_has_no_stored_backends(catalog):
    assert catalog.stored_backends() == []
    assert catalog.backends_of([1, 2]) == {}


@pytest.mark.parametrize("sql", [HELD_BY_SQL.format(marks="?,?,?"), STORED_BACKENDS_SQL])
def test_the_lookups_search_the_vectors_key_instead_of_scanning_it(catalog, sql):
    add(catalog, 1, ("bands",))
    params = ["bands", 1, 2, 3] if "?" in sql else []
    plan = [row[-1] for row in catalog.query(f"EXPLAIN QUERY PLAN {sql}", params)]
    on_vectors = [step for step in plan if "vectors" in step]
    assert on_vectors and all(step.startswith("SEARCH") for step in on_vectors), plan
