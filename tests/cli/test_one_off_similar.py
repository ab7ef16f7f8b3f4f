"""A one-off ``soundalike similar`` with no engine running: the library's answer, found quickly."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from soundalike.cli import main
from soundalike.engine.config import load_settings
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.store import index_files
from soundalike.engine.store.catalog import Catalog


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-user-config.toml"))
    monkeypatch.delenv("SOUNDALIKE_DATA_DIR", raising=False)


@pytest.fixture
def indexed(tmp_path, capsys, drum_folder):
    data = tmp_path / "lib"
    assert main(["--data-dir", str(data), "index", str(drum_folder)]) == 0
    capsys.readouterr()
    return data


def one_off(capsys, data, path) -> list[dict]:
    assert main(["--data-dir", str(data), "similar", str(path), "-k", "5", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def library_answer(data, path) -> list[dict]:
    settings = load_settings(None).with_data_dir(str(data))
    with Library(settings) as library:
        groups = library.similar(SimilarQuery(str(path), k=5))
    return [{"path": g.lead.path, "score": round(g.score, 6)} for g in groups]


def paths_and_scores(hits: list[dict]) -> list[dict]:
    return [{"path": hit["path"], "score": hit["score"]} for hit in hits]


def test_the_one_off_answer_is_the_librarys_for_a_file_in_the_catalog_and_one_outside(
    tmp_path, capsys, drum_folder, indexed
):
    inside = drum_folder / "Kit 0" / "snare_1.wav"
    audio, rate = sf.read(drum_folder / "Kit 1" / "kick_2.wav", dtype="float32")
    outside = tmp_path / "elsewhere" / "quieter kick.wav"
    outside.parent.mkdir()
    sf.write(outside, audio * 0.5 + 0.01 * np.sin(np.arange(len(audio)) / 3).astype(np.float32), rate)
    for path in (inside, outside):
        answer = one_off(capsys, indexed, path)
        assert len(answer) == 5
        assert paths_and_scores(answer) == library_answer(indexed, path)


def test_a_file_in_the_catalog_is_answered_without_decoding(capsys, drum_folder, indexed, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("a file in the catalog was decoded")

    monkeypatch.setattr("soundalike.engine.library.queries.decode_file", no_decoding)
    monkeypatch.setattr("soundalike.engine.pipeline.audio.decode_file", no_decoding)
    answer = one_off(capsys, indexed, drum_folder / "Kit 1" / "closed_hat_0.wav")
    assert len(answer) == 5 and all(hit["path"] != str(drum_folder / "Kit 1" / "closed_hat_0.wav") for hit in answer)


def test_a_one_off_reads_neither_every_byte_nor_every_id_of_a_saved_index(capsys, drum_folder, indexed, monkeypatch):
    """The saved index's state names the catalog's vectors as they are: the one question is
    answered from the memory-mapped file, touching only the pages its search reads."""
    query = drum_folder / "Kit 0" / "kick_1.wav"
    expected = library_answer(indexed, query)

    def refused(*args, **kwargs):
        raise AssertionError("read in full")

    monkeypatch.setattr(index_files, "checksum_of", refused)
    monkeypatch.setattr(index_files, "blake2_checksum", refused)
    monkeypatch.setattr(Catalog, "vector_ids", refused)
    monkeypatch.setattr(Catalog, "vectors", refused)
    assert paths_and_scores(one_off(capsys, indexed, query)) == expected


def test_a_saved_index_behind_the_catalog_is_not_taken_on_trust(capsys, drum_folder, indexed):
    query = drum_folder / "Kit 0" / "kick_1.wav"
    expected = library_answer(indexed, query)
    state = indexed / "index" / "builtin.faiss.version"
    version, checksum = state.read_text().split()
    state.write_text(f"{int(version) - 1} {checksum}")  # as if the catalog had changed since the save
    assert paths_and_scores(one_off(capsys, indexed, query)) == expected


def test_a_query_loads_neither_libsndfile_nor_the_kit_builder():
    """Modules only decoding and kits need are loaded when they are used, not by every query."""
    probe = (
        "import sys; import soundalike.engine.library.facade, soundalike.commands.library; "
        "print(sorted({'soundfile', 'soundalike.engine.kits.builder'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_sample_gone_since_the_index_was_saved_is_not_a_result(capsys, drum_folder, indexed):
    """Removals leave the catalog's vector version as it was: an index saved before one (a
    ``serve`` between saves, a process killed) still opens on trust, and still holds the sample."""
    saved = {name: (indexed / "index" / name).read_bytes() for name in ("builtin.faiss", "builtin.faiss.version")}
    gone = drum_folder / "Kit 1" / "kick_1.wav"
    gone.unlink()
    assert main(["--data-dir", str(indexed), "index"]) == 0
    capsys.readouterr()
    for name, data in saved.items():  # the index as saved before the file went
        (indexed / "index" / name).write_bytes(data)
    answer = one_off(capsys, indexed, drum_folder / "Kit 0" / "kick_1.wav")
    assert str(gone) not in [hit["path"] for hit in answer] and len(answer) == 5
