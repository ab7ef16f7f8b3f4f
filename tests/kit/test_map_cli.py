"""``soundalike map``: positions as JSON (stable between runs), the text map, tag filter, refit."""

from __future__ import annotations

import json

import pytest

from soundalike.cli import main


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))


def run_json(capsys, data_dir, *extra):
    assert main(["--data-dir", data_dir, "map", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_map_json_places_every_sample_the_same_way_each_time(kit_library, capsys):
    library, _ = kit_library
    data_dir = str(library.data_dir)
    first = run_json(capsys, data_dir)
    assert len(first) == library.stats()["by_status"]["ok"]
    assert all({"path", "x", "y", "kind"} <= set(p) for p in first)
    assert sum(-0.2 <= p["x"] <= 1.2 and -0.2 <= p["y"] <= 1.2 for p in first) >= 0.9 * len(first)
    assert run_json(capsys, data_dir) == first
    kicks = run_json(capsys, data_dir, "--tag", "kick")
    assert kicks and {p["path"] for p in kicks} < {p["path"] for p in first}
    assert "kick" in {p["kind"] for p in kicks}  # (a sample tagged kick may be a tom first)


def test_map_text_draws_letters_in_the_asked_size(kit_library, capsys):
    library, _ = kit_library
    assert main(["--data-dir", str(library.data_dir), "map", "--width", "40", "--height", "12"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 13 and all(len(line) == 40 for line in lines[:12])
    assert "K" in "".join(lines[:12]) and "K kick" in lines[-1]


def test_refit_rewrites_the_stored_projection(kit_library, capsys):
    library, _ = kit_library
    stored = library.data_dir / "map" / "builtin.npz"
    run_json(capsys, str(library.data_dir))
    before = stored.stat().st_mtime_ns
    run_json(capsys, str(library.data_dir), "--refit")
    assert stored.stat().st_mtime_ns != before


def test_a_map_fitted_on_a_handful_is_refitted_once_the_library_doubles(kit_library):
    import numpy as np

    from soundalike.engine.tools.drum_map import DrumMap, Projection

    library, _ = kit_library
    drum_map = DrumMap(library)
    part = drum_map.embedder.aspects["overall"]
    width = part.stop - part.start
    signature = f"{drum_map.embedder.signature()}/overall"
    for fitted_on, expected in ((3, len(library.index("builtin"))), (600, 600)):
        Projection(
            signature, np.zeros(width, np.float32), np.eye(width, 2, dtype=np.float32), (0.0, 1.0, 0.0, 1.0), fitted_on
        ).save(drum_map.path)
        assert DrumMap(library).ensure_projection().fitted_on == expected  # 600: settled, kept as it is
    DrumMap(library).ensure_projection(refit=True)  # leave a real projection for the other tests


def test_a_map_past_its_limit_places_the_same_sample_of_the_library_each_time(kit_library):
    import numpy as np

    from soundalike.engine.tools.drum_map import DrumMap, sample_ids

    library, _ = kit_library
    every = DrumMap(library).points()
    limit = len(every) // 2
    some = DrumMap(library).points(limit=limit)
    assert 0 < len(some) < len(every) == some.of and set(some.ids.tolist()) <= set(every.ids.tolist())
    assert np.array_equal(DrumMap(library).points(limit=limit).ids, some.ids)  # the same ones again
    where = {int(sid): n for n, sid in enumerate(every.ids)}
    rows = [where[int(sid)] for sid in some.ids]
    assert np.allclose(some.xy, every.xy[rows]) and [some.kinds[k] for k in some.kind] == [
        every.kinds[k] for k in every.kind[rows]
    ]  # placed and named as on the whole map
    ids = np.arange(1, 200_001)
    chosen, grown = sample_ids(ids, 20_000), sample_ids(np.arange(1, 202_001), 20_000)
    assert abs(len(chosen) - 20_000) < 1_000 and len(np.intersect1d(chosen, grown)) > 0.98 * len(chosen)
