"""Musical facts through the real library: stored at index time, filled in for old rows, filtered
and ranked by `similar` and the CLI."""

from __future__ import annotations

import json

import pytest

from soundalike.cli import main
from soundalike.engine.library.facade import Library
from soundalike.engine.library.planner import plan_path
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.musical.filters import parse_keys
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.musical import ids_to_analyse
from soundalike.engine.store.schema import SCHEMA_VERSION
from tests.conftest import TEST_BACKENDS, catalog_of, write
from tests.engine.musical import audio as gen


@pytest.fixture
def music_folder(tmp_path):
    root = tmp_path / "Music"
    gen.music_folder(root, write)
    return root


@pytest.fixture
def library(make_settings, music_folder):
    with Library(make_settings(), backends=TEST_BACKENDS) as lib:
        lib.scan([str(music_folder)])
        yield lib


def names(hits):
    return sorted(hit.path.rsplit("/", 1)[1] for hit in hits)


def test_index_stores_musical_facts(library, music_folder):
    row = library.browse.sample_by_path(music_folder / "Loops" / "groove_0.wav")
    facts = library.browse.musical([row.id])[row.id]
    assert facts.kind == "loop" and abs(facts.bpm - 120) < 2 and facts.key_name == "Am"
    crash = library.browse.sample_by_path(music_folder / "Drums" / "crash.wav")
    assert library.browse.musical([crash.id])[crash.id].kind == "one-shot"  # long, but one hit: not a loop
    bass = library.browse.sample_by_path(music_folder / "Bass" / "hit_43.wav")
    assert library.browse.musical([bass.id])[bass.id].root_name == "G2"
    assert not ids_to_analyse(catalog_of(library))


def test_filters_by_kind_tempo_key_and_root(library, music_folder):
    query = music_folder / "Loops" / "groove_0.wav"
    loops = library.similar(SimilarQuery(query, k=20, filters=Filters(kind="loop"), collapse=False)).hits
    assert names(loops) == ["drums_120.wav", "groove_1.wav", "groove_2.wav", "groove_3.wav", "groove_4.wav"]
    fast = library.similar(SimilarQuery(query, k=20, filters=Filters(bpm=(118, 124)), collapse=False)).hits
    assert names(fast) == ["drums_120.wav", "groove_1.wav", "groove_2.wav", "groove_4.wav"]
    am = library.similar(SimilarQuery(query, k=20, filters=Filters(keys=parse_keys("Am")), collapse=False)).hits
    assert names(am) == ["groove_1.wav"]
    compatible = library.similar(
        SimilarQuery(query, k=20, filters=Filters(keys=parse_keys("Am", compatible=True)), collapse=False)
    ).hits
    assert names(compatible) == ["groove_1.wav", "groove_2.wav", "groove_3.wav", "groove_4.wav"]
    roots = library.similar(SimilarQuery(query, k=20, filters=Filters(roots=(0,)), collapse=False)).hits
    assert names(roots) == ["hit_36.wav", "hit_48.wav"]


def test_similar_musical_puts_what_fits_first(library, music_folder):
    hits = library.similar(
        SimilarQuery(music_folder / "Loops" / "groove_0.wav", k=3, musical=True, collapse=False)
    ).hits
    assert names(hits[:1]) == ["groove_1.wav"]  # same tempo range and key


def test_existing_library_is_analysed_by_the_next_scan(library, music_folder):
    with catalog_of(library).transaction() as tx:
        tx.execute("DELETE FROM musical")
    missing = ids_to_analyse(catalog_of(library))
    assert len(missing) == 10
    plan = plan_path(
        catalog_of(library),
        str(music_folder),
        str(music_folder),
        library.settings.engine.extensions,
        ("bands",),
        False,
        musical=True,
    )
    assert len(plan.jobs) == 10 and all(job.backends == () for job in plan.jobs)  # decode only, no embedding
    report = library.scan()
    assert report.indexed == 10 and not ids_to_analyse(catalog_of(library))


def test_schema_version_is_the_number_of_migrations(library):
    assert catalog_of(library).query("PRAGMA user_version")[0][0] == SCHEMA_VERSION


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_similar_filters_and_json_fields(tmp_path, capsys, music_folder):
    data = str(tmp_path / "cli-lib")
    assert run(capsys, "--data-dir", data, "index", str(music_folder))[0] == 0
    query = str(music_folder / "Loops" / "groove_0.wav")
    code, out, _ = run(
        capsys,
        "--data-dir",
        data,
        "similar",
        query,
        "--bpm",
        "118-124",
        "--key",
        "Am",
        "--compatible",
        "--kind",
        "loop",
        "-k",
        "20",
        "--json",
    )
    assert code == 0
    rows = json.loads(out)
    assert sorted(r["path"].rsplit("/", 1)[1] for r in rows) == ["groove_1.wav", "groove_2.wav", "groove_4.wav"]
    assert all(r["kind"] == "loop" and 118 <= r["bpm"] <= 124 for r in rows)
    code, out, _ = run(capsys, "--data-dir", data, "similar", query, "--root", "G", "-k", "5")
    assert code == 0 and "hit_43.wav" in out and "[one-shot G2]" in out


def test_cli_bad_filter_values_are_one_clear_line(tmp_path, capsys, music_folder):
    data = str(tmp_path / "cli-lib")
    query = str(music_folder / "Loops" / "groove_0.wav")
    for option, value, words in (
        ("--bpm", "fast", "bpm takes"),
        ("--key", "Hm", "key takes"),
        ("--root", "X", "root takes"),
    ):
        code, _, err = run(capsys, "--data-dir", data, "similar", query, option, value)
        assert code != 0 and words in err and "Traceback" not in err
    code, _, err = run(capsys, "--data-dir", data, "similar", query, "--compatible")
    assert code != 0 and "--compatible needs --key" in err


def test_cli_musical_reports_facts_and_reasons(capsys, tmp_path, music_folder):
    quiet = write(tmp_path / "silence.wav", gen.noise(0.5) * 0)
    code, out, _ = run(
        capsys, "--data-dir", str(tmp_path / "x"), "musical", str(music_folder / "Loops" / "groove_3.wav"), "--json"
    )
    facts = json.loads(out)
    assert code == 0 and facts["kind"] == "loop" and facts["key"] == "C" and abs(facts["bpm"] - 90) < 2
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "x"), "musical", str(quiet))
    assert code == 0 and "unknown" in out and "silent" in out
