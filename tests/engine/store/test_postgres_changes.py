"""The PostgreSQL catalog's vector change log is trimmed: a machine whose index is older than what
the log still holds is told to rebuild, one within it catches up."""

from __future__ import annotations

import numpy as np

from soundalike.engine.store.postgres import changes, transaction
from soundalike.engine.store.postgres.store import PostgresStore
from tests.engine.store.contract.helpers import add


def test_a_trimmed_log_asks_an_older_index_to_rebuild(postgres_server, tmp_path, monkeypatch):
    monkeypatch.setattr(transaction, "TRIM_EVERY", 4)
    monkeypatch.setattr(changes, "KEEP_AT_LEAST", 3)
    store = PostgresStore(postgres_server.catalog_for(tmp_path))
    try:
        versions = []
        sid = add(store, "/S/a.wav")
        for number in range(8):  # one vector, made again and again: the log outgrows the vectors
            with store.transaction() as tx:
                tx.store_vector(sid, "clap", np.full(4, number, np.float32))
                versions.append(tx.bump_vectors_version("clap"))
        assert versions == list(range(1, 9))
        assert store.vector_changes("clap", 0) is None, "trimmed past version 0: rebuild"
        recent = store.vector_changes("clap", 6)
        assert recent is not None and recent.version == 8 and recent.ids.tolist() == [sid]
        assert recent.matrix is not None and recent.matrix[0][0] == 7
    finally:
        store.close()
