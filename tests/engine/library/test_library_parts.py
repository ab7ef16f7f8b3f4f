"""The library's parts seen through its facade: model changes are an explicit write step, and
``index`` plans like ``serve`` (the one planner). Real files, real SQLite, real FAISS."""

from __future__ import annotations

import os

import pytest

from soundalike.engine.errors import UserError
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from tests.conftest import TEST_BACKENDS, BandEmbedder


class RetrainedBands(BandEmbedder):
    """The same backend after its model changed: same name and width, other vectors."""

    def signature(self) -> str:
        return f"{super().signature()}/retrained"


def test_getting_an_embedder_drops_nothing_and_a_new_model_is_embedded_again_by_index(make_settings, drum_folder):
    settings = make_settings()
    with Library(settings, backends=TEST_BACKENDS) as library:
        library.scan([drum_folder])
    retrained = {**TEST_BACKENDS, "bands": RetrainedBands}
    with Library(settings, backends=retrained) as library:
        library.embedder("bands")
        assert library.stats()["vectors"] == {"bands": 24}  # a getter writes nothing
        with pytest.raises(UserError, match="model changed.*soundalike index"):
            library.similar(
                SimilarQuery(drum_folder / "Kit 0" / "kick_0.wav", collapse=False)
            )  # old vectors never meet new queries
        assert library.stats()["vectors"] == {"bands": 24}
        report = library.scan()  # the explicit step: record the model, drop its old vectors, embed again
        assert report.indexed == 24 and len(library.index("bands")) == 24
        assert library.similar(SimilarQuery(drum_folder / "Kit 0" / "kick_0.wav", k=3, collapse=False)).hits
    with Library(settings, backends=retrained) as library:
        assert library.scan().indexed == 0  # recorded: the next scan has nothing to do


def test_index_leaves_an_unchanged_failed_file_alone_and_retries_it_once_changed(
    make_settings, drum_folder, counting_decoder
):
    broken = drum_folder / "broken.wav"
    broken.write_bytes(b"RIFF not really")
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        assert [os.path.basename(p) for p, _ in library.scan([drum_folder]).failed] == ["broken.wav"]
        counting_decoder.clear()
        again = library.scan()
        assert (again.failed, again.unchanged, counting_decoder) == ([], 25, [])
        os.utime(broken, (1_000_000, 1_000_000))
        retried = library.scan()
        assert [os.path.basename(p) for p in counting_decoder] == ["broken.wav"] and len(retried.failed) == 1


def test_a_file_missing_then_back_is_revived_by_index_without_decoding(
    make_settings, drum_folder, tmp_path, counting_decoder
):
    kick = drum_folder / "Kit 0" / "kick_0.wav"
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.scan([drum_folder])
        sid = library.browse.sample_by_path(kick).id
        os.rename(kick, tmp_path / "parked.wav")
        assert library.scan().missing == 1 and library.browse.sample(sid).status == "missing"
        os.rename(tmp_path / "parked.wav", kick)
        counting_decoder.clear()
        back = library.scan()
        assert (back.revived, back.indexed, counting_decoder) == (1, 0, [])
        assert library.browse.sample(sid).status == "ok" and library.index("bands").reconstruct(sid) is not None
