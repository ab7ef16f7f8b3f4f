"""The library end to end: real files, real SQLite on disk, real FAISS."""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest

import soundalike.engine.pipeline.ingest
from soundalike.engine.errors import FileError, UserError
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.store.filters import Filters
from soundalike.engine.tools.demo import render
from tests.conftest import TEST_BACKENDS, write


def open_library(settings) -> Library:
    return Library(settings, backends=TEST_BACKENDS)


@pytest.fixture
def counting_decoder(monkeypatch):
    calls = []
    real = soundalike.engine.pipeline.ingest.decode_file

    def decode(path, *args, **kwargs):
        calls.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(soundalike.engine.pipeline.ingest, "decode_file", decode)
    return calls


def test_scan_indexes_every_file_and_similar_finds_the_same_instrument(make_settings, drum_folder):
    with open_library(make_settings()) as library:
        report = library.scan([drum_folder])
        assert (report.seen, report.indexed, report.failed) == (24, 24, [])
        query = drum_folder / "Kit 0" / "kick_0.wav"
        hits = library.similar(SimilarQuery(query, k=5, collapse=False)).hits
        assert len(hits) == 5
        assert str(query) not in [h.path for h in hits]  # the query itself is left out
        assert all("kick" in h.path for h in hits[:3])
        assert hits[0].score >= hits[-1].score


def test_rescan_of_unchanged_folder_does_no_audio_work(make_settings, drum_folder, counting_decoder):
    with open_library(make_settings()) as library:
        library.scan([drum_folder])
        assert len(counting_decoder) == 24
        report = library.scan()
        assert report.unchanged == 24 and report.indexed == 0
        assert len(counting_decoder) == 24


def test_library_persists_across_reopen(make_settings, drum_folder):
    settings = make_settings()
    with open_library(settings) as library:
        library.scan([drum_folder])
        before = [
            (h.path, round(h.score, 5))
            for h in library.similar(SimilarQuery(drum_folder / "Kit 1" / "snare_2.wav", collapse=False)).hits
        ]
    with open_library(settings) as library:
        after = [
            (h.path, round(h.score, 5))
            for h in library.similar(SimilarQuery(drum_folder / "Kit 1" / "snare_2.wav", collapse=False)).hits
        ]
        assert library.stats()["by_status"] == {"ok": 24}
    assert before == after


def test_changed_deleted_and_moved_files(make_settings, drum_folder, counting_decoder):
    with open_library(make_settings()) as library:
        library.scan([drum_folder])
        kick = drum_folder / "Kit 0" / "kick_1.wav"
        kick_id = library.browse.sample_by_path(kick).id
        library.set_favourite(kick_id)
        moved = drum_folder / "Moved" / "renamed kick.wav"
        moved.parent.mkdir()
        shutil.move(kick, moved)
        (drum_folder / "Kit 1" / "cymbal_0.wav").unlink()
        write(drum_folder / "Kit 1" / "snare_0.wav", render("clap", 99))
        counting_decoder.clear()
        report = library.scan()
        assert report.missing == 2 and report.indexed == 2
        assert sorted(os.path.basename(p) for p in counting_decoder) == ["renamed kick.wav", "snare_0.wav"]
        row = library.browse.sample_by_path(moved)
        assert row.id == kick_id and row.favourite  # a move keeps identity and favourites
        assert library.browse.sample_by_path(drum_folder / "Kit 1" / "cymbal_0.wav").status == "missing"
        paths = [h.path for h in library.similar(SimilarQuery(moved, k=30, collapse=False)).hits]
        assert str(drum_folder / "Kit 1" / "cymbal_0.wav") not in paths
        assert len(paths) == 22


def test_bad_files_are_recorded_with_reasons_and_do_not_stop_the_scan(make_settings, drum_folder):
    bad = drum_folder / "Bad"
    bad.mkdir()
    (bad / "empty.wav").write_bytes(b"")
    (bad / "notes.wav").write_text("not audio at all\n" * 50)
    write(bad / "silence.wav", np.zeros(22050))
    shutil.copy(drum_folder / "Kit 0" / "kick_0.wav", bad / "wav named.ogg")
    os.symlink(bad / "gone.wav", bad / "dangling.wav")
    (bad / "loop").mkdir()
    os.symlink(bad, bad / "loop" / "back up")
    (bad / ".hidden.wav").write_text("ignored")
    (bad / "download.wav.part").write_text("ignored")
    with open_library(make_settings()) as library:
        report = library.scan([drum_folder])
        reasons = {os.path.basename(path): reason for path, reason in report.failed}
        assert set(reasons) == {"empty.wav", "notes.wav", "silence.wav", "dangling.wav"}
        assert "empty" in reasons["empty.wav"]
        assert "not decodable" in reasons["notes.wav"]
        assert "silent" in reasons["silence.wav"]
        assert "broken symbolic link" in reasons["dangling.wav"]
        assert report.indexed == 25  # the 24 drums and the WAV named .ogg
        stats = library.stats()
        assert stats["by_status"] == {"ok": 25, "failed": 4}
        assert sum(stats["failure_reasons"].values()) == 4


def test_similar_accepts_ids_arrays_and_outside_files(make_settings, drum_folder, tmp_path):
    with open_library(make_settings()) as library:
        library.scan([drum_folder])
        outside = write(tmp_path / "elsewhere" / "new_hat.wav", render("closed hat", 555))
        by_path = library.similar(SimilarQuery(outside, k=3, collapse=False)).hits
        assert all("closed_hat" in h.path for h in by_path)
        by_array = library.similar(SimilarQuery(render("closed hat", 555), k=3, sample_rate=44100, collapse=False)).hits
        assert [h.path for h in by_array] == [h.path for h in by_path]
        first = by_path[0].sample.id
        assert first not in [h.sample.id for h in library.similar(SimilarQuery(first, k=5, collapse=False)).hits]
        with pytest.raises(FileError, match="not found|vanished|no such file"):
            library.similar(SimilarQuery(tmp_path / "missing.wav", collapse=False))


def test_filters_restrict_results(make_settings, drum_folder):
    with open_library(make_settings()) as library:
        library.scan([drum_folder])
        query = drum_folder / "Kit 0" / "kick_0.wav"
        only_kit1 = library.similar(
            SimilarQuery(query, k=50, filters=Filters(under=str(drum_folder / "Kit 1")), collapse=False)
        ).hits
        assert len(only_kit1) == 12 and all("Kit 1" in h.path for h in only_kit1)
        short = library.similar(SimilarQuery(query, k=50, filters=Filters(max_duration=0.2), collapse=False)).hits
        assert short and all(h.sample.duration <= 0.2 for h in short)
        kick_id = library.browse.sample_by_path(drum_folder / "Kit 1" / "kick_2.wav").id
        library.set_favourite(kick_id)
        favourites = library.similar(
            SimilarQuery(query, k=50, filters=Filters(favourites_only=True), collapse=False)
        ).hits
        assert [h.sample.id for h in favourites] == [kick_id]


def test_interrupted_scan_leaves_a_consistent_library_that_resumes(make_settings, drum_folder):
    settings = make_settings()
    stop = threading.Event()
    with open_library(settings) as library:
        report = library.scan([drum_folder], progress=lambda done, total, path: stop.set(), stop=stop)
        assert report.interrupted and 0 < report.indexed < 24
    with open_library(settings) as library:
        assert len(library.index("bands")) == report.indexed
        resumed = library.scan()
        assert resumed.indexed == 24 - report.indexed and resumed.unchanged == report.indexed
        assert len(library.index("bands")) == 24


def test_index_is_rebuilt_from_stored_vectors_when_lost_or_corrupt(make_settings, drum_folder, counting_decoder):
    settings = make_settings()
    with open_library(settings) as library:
        library.scan([drum_folder])
        expected = [
            h.path for h in library.similar(SimilarQuery(drum_folder / "Kit 0" / "cymbal_0.wav", collapse=False)).hits
        ]
    index_file = settings.engine.resolved_data_dir() / "index" / "bands.faiss"
    for damage in (lambda: index_file.write_bytes(b"garbage"), index_file.unlink):
        damage()
        counting_decoder.clear()
        with open_library(settings) as library:
            assert [
                h.path
                for h in library.similar(SimilarQuery(drum_folder / "Kit 0" / "cymbal_0.wav", collapse=False)).hits
            ] == expected
        assert counting_decoder == []  # rebuilt without decoding anything


def test_offline_root_keeps_samples_and_comes_back(make_settings, drum_folder, tmp_path, counting_decoder):
    with open_library(make_settings()) as library:
        library.scan([drum_folder])
        parked = tmp_path / "unplugged"
        drum_folder.rename(parked)
        report = library.scan()
        assert report.offline_roots == [str(drum_folder)]
        assert library.stats()["by_status"] == {"offline": 24}
        assert len(library.index("bands")) == 0
        parked.rename(drum_folder)
        counting_decoder.clear()
        back = library.scan()  # revived from the stored vectors, like serve does: nothing decoded
        assert library.stats()["by_status"] == {"ok": 24} and len(library.index("bands")) == 24
        assert (back.revived, back.unchanged, back.indexed, counting_decoder) == (24, 24, 0, [])


def test_remove_forgets_files(make_settings, drum_folder):
    with open_library(make_settings()) as library:
        library.scan([drum_folder])
        assert library.remove([drum_folder / "Kit 0" / "kick_0.wav", drum_folder / "nope.wav"]) == 1
        assert library.stats()["samples"] == 23 and len(library.index("bands")) == 23


def test_unknown_backend_fails_at_start_listing_valid_names(make_settings):
    with pytest.raises(UserError, match="unknown backend 'nope'.*bands"):
        open_library(make_settings(backends=("nope",)))


def test_concurrent_reads_during_a_scan(make_settings, drum_folder):
    with open_library(make_settings()) as library:
        library.scan([drum_folder / "Kit 0"])
        errors, results = [], []

        def read():
            try:
                for _ in range(30):
                    results.append(
                        len(
                            library.similar(
                                SimilarQuery(drum_folder / "Kit 0" / "kick_0.wav", k=3, collapse=False)
                            ).hits
                        )
                    )
                    library.stats()
            except Exception as e:  # noqa: BLE001 - any error in the reader fails the test below
                errors.append(e)

        reader = threading.Thread(target=read)
        reader.start()
        library.scan([drum_folder])
        reader.join()
        assert errors == [] and len(results) == 30 and all(r == 3 for r in results)
