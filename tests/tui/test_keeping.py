"""Your own words on your sounds, and getting them out: marks, user tags, collections,
the recently added view, export into a project folder and file URI lists."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time

import numpy as np

from soundalike.engine.config import TuiSettings
from soundalike.engine.store import user_lists
from soundalike.tui.export import export_files, uri_list
from soundalike.tui.screens.prompt import Prompt
from soundalike.tui.screens.tag_picker import TagPicker
from soundalike.tui.widgets.folder_tree import FolderTree
from soundalike.tui.widgets.sample_list import SampleList
from tests.conftest import catalog_of, write
from tests.tui.conftest import make_app, wait_for


def samples(app) -> SampleList:
    return app.screen.query_one(SampleList)


async def answer(pilot, app, text: str) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, Prompt), what="the prompt")
    await pilot.press(*text, "enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, Prompt), what="prompt closed")


async def test_marked_samples_get_a_user_tag_shown_and_filtered_beside_the_models(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        await pilot.press("m", "j", "m")  # marks rows 0 and 2
        marked = sorted(samples(app).marked)
        assert len(marked) == 2 and samples(app).cursor == 3
        assert "•" in samples(app).render_line(0).text
        await pilot.press("T")
        await answer(pilot, app, "punchy")
        await wait_for(
            pilot,
            lambda: all(indexed.library.browse.tags(sid).get("user", {}) == {"punchy": 1.0} for sid in marked),
            what="the tag written (on a worker)",
        )
        await wait_for(pilot, lambda: "punchy" in samples(app).render_line(0).text, what="tag column")
        await pilot.press("M", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), what="tag picker")
        assert "punchy" in [tag for tag, _ in app.screen.tags]
        app.screen.dismiss("punchy")
        await wait_for(pilot, lambda: samples(app).source.count == 2, what="the two tagged")
        untag = samples(app).current.id
        await pilot.press("T")
        await answer(pilot, app, "-punchy")
        await wait_for(pilot, lambda: indexed.library.browse.tags(untag).get("user", {}) == {}, what="the tag removed")
        await wait_for(pilot, lambda: samples(app).source.count == 1, what="one left with the tag")


async def test_collections_are_browsed_like_folders(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        await pilot.press("m", "m", "m", "C")
        await answer(pilot, app, "Keepers [A]")
        await wait_for(
            pilot,
            lambda: user_lists.collections(catalog_of(indexed.library)) == [("Keepers [A]", 3)],
            what="the collection written",
        )
        tree = app.screen.query_one(FolderTree)
        collections = tree._collections
        await wait_for(pilot, lambda: collections.children, what="the collection in the tree")
        assert str(collections.children[0].label) == "Keepers [A] (3)"
        collections.expand()
        tree.focus()
        await pilot.pause(0.1)
        tree.move_cursor(collections.children[0])
        await pilot.press("enter")
        await wait_for(pilot, lambda: samples(app).source.count == 3, what="the collection's samples")
        assert "collection Keepers [A] · 3 samples" in str(app.screen.query_one("#filter-bar").render())


async def test_recently_added_lists_newest_first(indexed, fake_sd, drum_folder):
    time.sleep(0.01)
    write(drum_folder / "New" / "fresh.wav", np.sin(np.arange(8000) / 5.0).astype(np.float32) * 0.5)
    indexed.library.scan([str(drum_folder)])
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        tree = app.screen.query_one(FolderTree)
        await wait_for(pilot, lambda: tree.root.children, what="the tree")
        tree.focus()
        tree.move_cursor(tree._recent)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.state.recent and samples(app).source.count == 25, what="recent")
        assert samples(app).current.path.endswith("fresh.wav")
        added = [samples(app).source.row(i).added for i in range(25)]
        assert added == sorted(added, reverse=True)
        samples(app).focus()
        await pilot.press("G", "f")  # a change keeps the cursor on the same sample in this order too
        await wait_for(pilot, lambda: samples(app).current.favourite, what="favourite")
        assert samples(app).cursor == 24


def test_user_tags_and_collections_survive_a_rename(service, drum_folder):
    library = service.library
    library.scan([drum_folder])
    row = library.browse.sample_by_path(drum_folder / "Kit 0" / "kick_0.wav")
    user_lists.add_user_tag(catalog_of(library), [row.id], "Boomy")
    user_lists.add_to_collection(catalog_of(library), "kicks", [row.id])
    moved = drum_folder / "Renamed Kit"
    shutil.move(drum_folder / "Kit 0", moved)
    assert service.indexer.writer.move(str(drum_folder / "Kit 0"), str(moved)) == 12
    again = library.browse.sample_by_path(moved / "kick_0.wav")
    assert again.id == row.id and library.browse.tags(row.id)["user"] == {"boomy": 1.0}
    assert user_lists.collections(catalog_of(library)) == [("kicks", 1)]


async def test_export_into_the_project_folder_and_uri_list(indexed, fake_sd, tmp_path):
    project = tmp_path / "Project" / "Samples"
    app = make_app(indexed, tui=dataclasses.replace(TuiSettings(), project_folder=str(project)))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        first = samples(app).current
        await pilot.press("y")
        await wait_for(pilot, lambda: (project / os.path.basename(first.path)).exists(), what="the copy")
        assert (project / os.path.basename(first.path)).read_bytes() == open(first.path, "rb").read()
        await pilot.press("y")
        await wait_for(pilot, lambda: any("already there" in n.message for n in app._notifications), what="note")
        assert len(os.listdir(project)) == 1
        await pilot.press("m", "m", "Y")
        assert app.clipboard.count("file://") == 2 and app.clipboard.endswith("\r\n")


async def test_export_without_a_project_folder_uses_a_default_and_names_the_config_file(
    indexed, fake_sd, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "my-config.toml"))
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        first = samples(app).current
        await pilot.press("y")
        copy = tmp_path / "home" / "soundalike-samples" / os.path.basename(first.path)
        await wait_for(pilot, lambda: copy.exists(), what="the copy in the default folder")
        await wait_for(
            pilot,
            lambda: any(f"project_folder in {tmp_path / 'my-config.toml'}" in n.message for n in app._notifications),
            what="where to change it",
        )


def test_export_never_overwrites_and_links_when_asked(tmp_path):
    source = write(tmp_path / "a" / "kick.wav", np.zeros(100, dtype=np.float32))
    other = write(tmp_path / "b" / "kick.wav", np.ones(100, dtype=np.float32) * 0.5)
    target = tmp_path / "out"
    assert len(export_files([str(source)], str(target)).done) == 1
    report = export_files([str(other)], str(target))
    assert [os.path.basename(p) for p in report.done] == ["kick (2).wav"]
    linked = export_files([str(source)], str(tmp_path / "links"), "link")
    assert os.path.islink(linked.done[0]) and os.path.realpath(linked.done[0]) == str(source.resolve())
    missing = export_files([str(tmp_path / "gone.wav")], str(target))
    assert missing.failed and "not there" in missing.failed[0][1]
    assert uri_list(["/x/a b.wav"]) == "file:///x/a%20b.wav\r\n"


async def test_forget_a_folder_from_the_tree_after_a_confirm(indexed, fake_sd, drum_folder):
    from soundalike.tui.screens.confirm import Confirm

    library = indexed.library
    library.set_favourite(library.browse.sample_by_path(drum_folder / "Kit 0" / "kick_0.wav").id)
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        tree = app.screen.query_one(FolderTree)
        await wait_for(pilot, lambda: tree.root.children, what="roots in the tree")
        root = next(node for node in tree.root.children if node.data == str(drum_folder))
        tree.focus()
        tree.move_cursor(root)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), what="the question")
        assert "1 favourite" in str(app.screen.question) and "files stay on disk" in app.screen.question
        await pilot.press("n")  # no: nothing happens
        await wait_for(pilot, lambda: not isinstance(app.screen, Confirm), what="the question closed")
        assert library.browse.roots() == [str(drum_folder)]
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), what="the question again")
        await pilot.press("y")
        await wait_for(pilot, lambda: samples(app).source.count == 0, what="the folder forgotten")
        assert library.browse.roots() == [] and (drum_folder / "Kit 0" / "kick_0.wav").exists()
