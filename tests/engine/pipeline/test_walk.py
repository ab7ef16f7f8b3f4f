"""The folder walk: which names are candidates, and folders reached twice (links, loops) walked once."""

from __future__ import annotations

import os

from soundalike.engine.pipeline.walk import is_candidate, walk

EXTENSIONS = (".wav", ".flac", ".aif")


def names(root, start=None) -> list[str]:
    return [os.path.relpath(entry.path, root) for entry in walk(str(root), EXTENSIONS, start=start)]


def test_candidates_by_extension_any_case_and_temporary_names_skipped(tmp_path):
    for name in ("a.wav", "B.WAV", "c.Flac", "d.aif", "e.aiff", "f.mp3", "wav", ".hidden.wav", "g.wav.part", "h.wav~"):
        (tmp_path / name).write_bytes(b"")
    assert names(tmp_path) == ["B.WAV", "a.wav", "c.Flac", "d.aif"]
    assert [is_candidate(n, EXTENSIONS) for n in ("x.WAV", "x.tar.wav", ".wav", "x.wav.tmp", "~$x.wav", "x.")] == [
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_a_folder_linked_twice_and_a_link_back_up_are_walked_once(tmp_path):
    kit = tmp_path / "Kit"
    (kit / "Deep").mkdir(parents=True)
    (kit / "Deep" / "kick.wav").write_bytes(b"")
    os.symlink(kit, tmp_path / "Also Kit")  # the same folder under another name
    os.symlink(tmp_path, kit / "Deep" / "up")  # a loop
    assert names(tmp_path) == ["Also Kit/Deep/kick.wav"]
    assert names(tmp_path, start=str(kit)) == ["Kit/Deep/kick.wav"]  # the link back up is cut there too
