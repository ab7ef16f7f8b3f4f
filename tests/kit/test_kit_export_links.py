"""A kit export never writes through a link it finds in the folder: nothing lands outside it.

Over real UDP, a client asks for exports into an allowed folder that someone has filled with
symlinks (a file and a folder pointing outside) and a hard link to a file outside; every format
must leave the outside exactly as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soundalike.bridge import Bridge
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import OscClient
from soundalike.engine.errors import QueryError
from soundalike.engine.kits.builder import KitBuilder
from soundalike.engine.kits.export import export_kit
from soundalike.engine.kits.export.hydrogen import kit_name
from tests.bridge.conftest import bridge_settings

FORMATS = ("sfz", "folder", "hydrogen")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def kit(kit_library):
    library, root = kit_library
    return KitBuilder(library).build(str(root / "Kit 0" / "Kick-Med.wav"))


@pytest.fixture
def trap(tmp_path, kit):
    """``allowed/evilkit`` full of links to ``outside``; the outside's contents before any export."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    (outside / "samples_out").mkdir(parents=True)
    (outside / "owned.sfz").write_text("mine\n")
    (outside / "owned.txt").write_text("mine too\n")
    (outside / "kit_out").mkdir()
    evil = allowed / "evilkit"
    evil.mkdir(parents=True)
    (evil / "kit.sfz").symlink_to(outside / "owned.sfz")
    (evil / "samples").symlink_to(outside / "samples_out", target_is_directory=True)
    (evil / kit_name(kit)).symlink_to(outside / "kit_out", target_is_directory=True)
    os.link(outside / "owned.txt", evil / "kit.txt")  # a hard link: writing into it would change owned.txt
    (evil / "01-kick-Kick-Med.wav").symlink_to(outside / "owned.sfz")
    (allowed / "escape").symlink_to(outside, target_is_directory=True)
    return allowed, outside, _snapshot(outside)


@pytest.fixture
def client(kit_library, trap):
    library, _ = kit_library
    allowed, _, _ = trap
    bridge = Bridge(
        library, None, bridge_settings(query_folders=(str(allowed),)), state_file=allowed.parent / "bridge-clients.json"
    ).start()
    with OscClient(*bridge.address, timeout=20.0) as client:
        yield client
    bridge.stop()


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_osc_export_into_a_folder_of_links_writes_nothing_outside(client, kit_library, trap, fmt):
    _, root = kit_library
    allowed, outside, before = trap
    client.request(f"{p.PREFIX}/kit", str(root / "Kit 0" / "Kick-Med.wav"))
    response = client.request(f"{p.PREFIX}/kit_export", str(allowed / "evilkit"), fmt)
    assert _snapshot(outside) == before
    assert (outside / "owned.sfz").read_text() == "mine\n" and (outside / "owned.txt").read_text() == "mine too\n"
    if response.error is None:  # the links in the way were replaced by real files, never written through
        [(written,)] = response.of(p.EXPORTED)
        assert not Path(written).is_symlink() and Path(written).resolve().is_relative_to(allowed.resolve())
    else:
        assert "link" in response.error


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_osc_export_through_a_linked_folder_is_refused(client, kit_library, trap, fmt):
    _, root = kit_library
    allowed, outside, before = trap
    client.request(f"{p.PREFIX}/kit", str(root / "Kit 0" / "Kick-Med.wav"))
    for target in (allowed / "escape", allowed / "escape" / "new" / "deeper"):
        error = client.request(f"{p.PREFIX}/kit_export", str(target), fmt).error
        assert error and "not inside" in error
    assert _snapshot(outside) == before and not (outside / "new").exists()


def test_the_folder_export_replaces_links_and_hard_links_with_its_own_files(kit, trap):
    allowed, outside, before = trap
    listing = export_kit(kit, allowed / "evilkit", "folder", within=lambda real: real.startswith(str(allowed)))
    assert _snapshot(outside) == before
    assert listing == allowed / "evilkit" / "kit.txt" and not listing.is_symlink()
    assert os.stat(listing).st_nlink == 1 and listing.read_text().startswith("# kit around")
    first = allowed / "evilkit" / "01-kick-Kick-Med.wav"
    assert not first.is_symlink() and first.read_bytes()[:4] == b"RIFF"


def test_a_folder_made_for_an_export_is_checked_where_it_really_is(kit, tmp_path):
    with pytest.raises(QueryError, match="not inside"):
        export_kit(kit, tmp_path / "made" / "here", "sfz", within=lambda real: False)
