"""The copy and layer lookups each chunk of writes makes are read from their own indexes, never by
walking every playable sample (which SQLite, without statistics, would pick the status index for)."""

from __future__ import annotations

import pytest

from soundalike.engine.store import sounds
from soundalike.engine.store.sqlite import SqliteStore


class Planned(SqliteStore):
    """A real store that notes SQLite's plan for each query the lookups make."""

    plans: list[str]

    def query(self, sql, params=()):
        self.plans.append(" ".join(str(r[-1]) for r in super().query("EXPLAIN QUERY PLAN " + sql, params)))
        return super().query(sql, params)


@pytest.mark.parametrize(
    ("lookup", "index"),
    [(sounds.with_contents, "samples_hash"), (sounds.with_layer_names, "sounds_layer_name")],
)
def test_candidate_lookups_use_their_own_index(tmp_path, lookup, index):
    store = Planned(tmp_path / "c.sqlite")
    store.plans = []
    lookup(store, ["a", "b"], 10)
    assert store.plans and all(index in plan and "status" not in plan for plan in store.plans)
    store.close()
