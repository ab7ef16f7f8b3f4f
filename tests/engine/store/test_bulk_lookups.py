"""Lookups over a whole library's ids (a re-index) read each column once and answer as per-id lookups do."""

from __future__ import annotations

import numpy as np
import pytest

from soundalike.engine.musical.analysis import VERSION, Musical
from soundalike.engine.store import musical, rows, sounds
from soundalike.engine.store import writes as cat
from soundalike.engine.store.dialect import SQLITE
from soundalike.engine.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(tmp_path / "catalog.sqlite")
    ids = []
    with store.transaction() as tx:
        for n in range(30):
            sid = cat.record_sample(
                tx,
                path=f"/S/{n}.wav",
                root="/S",
                size=1,
                mtime=1.0,
                content_hash=None,
                status="ok",
                reason=None,
                facts=None,
            )
            ids.append(sid)
            if n % 2:
                cat.store_vector(tx, sid, "builtin", np.ones(4, np.float32))
            if n % 3:
                cat.store_vector(tx, sid, "clap", np.ones(4, np.float32))
            if n % 5:
                sounds.put(tx, sid, None, f"{n}", SQLITE)
            if n % 4:
                musical.store_musical(tx, sid, Musical(kind="one-shot"), SQLITE, VERSION if n % 8 else VERSION - 1)
    yield store, ids
    store.close()


def answers(store, ids):
    return store.backends_of(ids), store.without_facts(ids), store.unanalysed_among(ids)


def test_whole_library_lookups_agree_with_lookups_by_id(store, monkeypatch):
    store, ids = store
    asked = ids[3:27]  # not every id in the catalog
    by_id = answers(store, asked)
    assert by_id[0] and by_id[1] and by_id[2]  # something to agree on
    for module in (rows, sounds, musical):
        monkeypatch.setattr(module, "BULK", 5, raising=False)
    from soundalike.engine.store import shared_catalog

    monkeypatch.setattr(shared_catalog, "BULK", 5)
    assert answers(store, asked) == by_id
