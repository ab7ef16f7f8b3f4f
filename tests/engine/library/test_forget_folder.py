"""Forgetting a library folder: its rows and index entries go, its files stay, the user is asked
first when it holds their favourites, tags or collection items; the demo never joins the library."""

from __future__ import annotations

import os
import shutil

import pytest

from soundalike.cli import main
from soundalike.commands.tui import choose_roots
from soundalike.engine.errors import UserError
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from tests.conftest import TEST_BACKENDS, catalog_of


@pytest.fixture
def two_folders(tmp_path, drum_folder):
    other = tmp_path / "Other"
    shutil.copytree(drum_folder / "Kit 1", other / "Kit 9")
    return drum_folder, other


def test_forget_drops_rows_and_index_entries_and_keeps_files(make_settings, two_folders):
    keep, gone = two_folders
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.scan([str(keep), str(gone)])
        files_before = sorted(p.name for p in gone.rglob("*.wav"))
        row = library.browse.sample_by_path(gone / "Kit 9" / "kick_0.wav")
        library.set_favourite(row.id)
        library.tag_samples([row.id], "punchy")
        library.add_to_collection("set", [row.id])
        use = library.browse.folder_use(str(gone))
        assert (use.samples, use.favourites, use.user_tagged, use.collected) == (12, 1, 1, 1)
        assert use.describe() == "1 favourite, 1 sample with your tags, 1 sample in collections"
        assert library.forget_folder(str(gone) + os.sep) == 12  # a trailing slash names it too
        assert library.browse.roots() == [str(keep)]
        assert sorted(p.name for p in gone.rglob("*.wav")) == files_before  # nothing on disk touched
        catalog = catalog_of(library)
        for table in ("samples", "vectors", "tags", "musical", "collection_items"):
            column = "path" if table == "samples" else "sample_id"
            left = catalog.query(
                f"SELECT count(*) FROM {table} WHERE {column} = ?",
                [str(gone / "Kit 9" / "kick_0.wav") if table == "samples" else row.id],
            )[0][0]
            assert left == 0, table
        assert len(library.index("bands")) == 24
        hits = library.similar(SimilarQuery(keep / "Kit 0" / "kick_0.wav", k=30, collapse=False)).hits
        assert hits and not any(hit.path.startswith(str(gone)) for hit in hits)
        with pytest.raises(UserError, match="not one of the library's folders"):
            library.forget_folder(str(gone))


def test_cli_forget_asks_first_when_the_folder_holds_the_users_marks(tmp_path, capsys, monkeypatch, two_folders):
    keep, gone = two_folders
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))
    data = str(tmp_path / "lib")
    assert main(["--data-dir", data, "index", str(keep), str(gone)]) == 0
    with Library(main_settings(data)) as library:
        library.set_favourite(library.browse.sample_by_path(gone / "Kit 9" / "snare_1.wav").id)
    capsys.readouterr()
    code = main(["--data-dir", data, "forget", str(gone)])  # stdin is not a terminal here
    err = capsys.readouterr().err
    assert code == 2 and "holds 1 favourite" in err and "--yes" in err
    assert main(["--data-dir", data, "forget", str(gone), "--yes"]) == 0
    assert f"forgot {gone}: 12 samples" in capsys.readouterr().out
    assert main(["--data-dir", data, "forget", str(keep)]) == 0  # nothing of the user's: no question
    code = main(["--data-dir", data, "forget", str(tmp_path / "nowhere")])
    assert code == 2 and "not one of the library's folders" in capsys.readouterr().err


def main_settings(data: str):
    from soundalike.engine.config import load_settings

    return load_settings().with_data_dir(data)


def test_the_demo_is_a_library_of_its_own(tmp_path, monkeypatch, make_settings, drum_folder, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        assert choose_roots([], library) is None  # empty: the demo opens, in its own library
        old_demo = tmp_path / "cache" / "soundalike" / "demo-library"
        shutil.copytree(drum_folder / "Kit 0", old_demo / "Demo Kit 1")
        library.scan([str(old_demo)])  # as an older soundalike left it: the demo inside the library
        assert choose_roots([str(drum_folder)], library) == [str(drum_folder)]
        assert library.browse.roots() == []  # the first real folder drops the old demo
        assert "the demo's 12 sounds left your library" in capsys.readouterr().out


def test_index_of_a_real_folder_drops_an_old_demo(tmp_path, monkeypatch, capsys, drum_folder):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))
    old_demo = tmp_path / "cache" / "soundalike" / "demo-library"
    shutil.copytree(drum_folder / "Kit 0", old_demo / "Demo Kit 1")
    data = str(tmp_path / "lib")
    assert main(["--data-dir", data, "index", str(old_demo)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", data, "index", str(drum_folder / "Kit 1")]) == 0
    assert "the demo's 12 sounds left your library" in capsys.readouterr().out
    with Library(main_settings(data)) as library:
        assert library.browse.roots() == [str(drum_folder / "Kit 1")]
