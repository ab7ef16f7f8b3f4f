"""The one planner (engine/library/planner.py), case by case: no threads, no library, no waiting.

Real files in a temp folder (their stat and content hash are what the planner compares), catalog
rows written out by hand as ``Known`` tuples, and the two catalog lookups as plain dicts. The
same function plans ``index`` (Scanner) and ``serve`` (the live indexer), so each case here is
the behaviour of both.
"""

from __future__ import annotations

import os
import time

import pytest

from soundalike.engine.library.planner import decide, disk_entries, plan, root_away
from soundalike.engine.pipeline.audio import file_hash
from soundalike.engine.pipeline.walk import FileEntry, stat_entry
from soundalike.engine.store.catalog import Known
from tests.permissions import ReadLocks

BACKENDS = ("bands", "clap")
EXTENSIONS = (".wav",)


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "root"
    (folder / "kit").mkdir(parents=True)
    for name in ("kick.wav", "snare.wav"):
        (folder / "kit" / name).write_bytes(name.encode() * 100)
    return folder


def row_for(entry: FileEntry, sid: int, status: str = "ok", **changes) -> Known:
    """The catalog row a scan of ``entry`` would have written, with ``changes``."""
    row = Known(sid, entry.size, entry.mtime, status, entry.ctime, entry.inode, file_hash(entry.path, entry.size))
    return row._replace(**changes)


def planned(root, known, forced=False, held=None, unanalysed=None):
    """Plan the whole root; ``held``: id -> backends with a stored vector (all of them by default)."""
    held = held if held is not None else {row.id: set(BACKENDS) for row in known.values()}

    def lookup(ids):
        return {i: held[i] for i in ids if i in held}

    stale = (lambda ids: set(unanalysed) & set(ids)) if unanalysed is not None else None
    return plan(disk_entries(str(root), str(root), EXTENSIONS), known, str(root), BACKENDS, forced, lookup, stale)


def entries(root) -> dict[str, FileEntry]:
    return {os.path.basename(e.path): e for e in disk_entries(str(root), str(root), EXTENSIONS)}


def jobs_of(result) -> dict[str, tuple[str, ...]]:
    return {os.path.basename(job.entry.path): job.backends for job in result.jobs}


def test_new_files_are_decoded_for_every_backend(root):
    result = planned(root, {})
    assert jobs_of(result) == {"kick.wav": BACKENDS, "snare.wav": BACKENDS}
    assert (result.seen, result.gone, result.revive, result.refresh) == (2, [], [], [])
    assert result.bulk is False  # plan() leaves bulk to the caller (plan_path: a folder walk)


def test_unchanged_files_cost_nothing(root):
    found = entries(root)
    known = {e.path: row_for(e, i) for i, e in enumerate(found.values(), 1)}
    result = planned(root, known)
    assert (result.jobs, result.gone, result.revive, result.refresh, result.seen) == ([], [], [], [], 2)


@pytest.mark.parametrize("change", [{"size": 1}, {"mtime": 12.5}])
def test_a_changed_size_or_mtime_is_decoded_again(root, change):
    kick = entries(root)["kick.wav"]
    result = planned(root, {kick.path: row_for(kick, 1, **change)})
    assert jobs_of(result) == {"kick.wav": BACKENDS, "snare.wav": BACKENDS}


def test_same_size_and_mtime_with_a_moved_ctime_or_inode_lets_the_content_hash_decide(root):
    kick = entries(root)["kick.wav"]
    same_content = row_for(kick, 1, ctime=kick.ctime - 100, inode=kick.inode + 1)
    result = planned(root, {kick.path: same_content})
    assert "kick.wav" not in jobs_of(result)
    assert result.refresh == [(1, kick.ctime, kick.inode)]  # the next look costs one stat again
    other_content = row_for(kick, 1, ctime=kick.ctime - 100, content_hash="0" * 32)
    result = planned(root, {kick.path: other_content})
    assert jobs_of(result)["kick.wav"] == BACKENDS and result.refresh == []


def test_a_file_over_64_mib_overwritten_in_the_middle_keeping_size_and_mtime_is_decoded_again(root):
    big = root / "kit" / "long take.wav"
    with open(big, "wb") as handle:  # sparse: 80 MiB on paper, nothing on disk
        handle.truncate(80 * 2**20)
    before, mtime_ns = stat_entry(str(big), str(root)), os.stat(big).st_mtime_ns
    row = row_for(before, 1)
    time.sleep(0.05)  # past the file system's clock tick, so the ctime moves
    with open(big, "r+b") as handle:  # the middle, far from the head and tail the hash reads
        handle.seek(40 * 2**20)
        handle.write(b"new take" * 512)
    os.utime(big, ns=(mtime_ns, mtime_ns))  # as cp -p or rsync -t leave it
    after = stat_entry(str(big), str(root))
    assert (after.size, after.mtime) == (before.size, before.mtime) and after.ctime != before.ctime
    assert file_hash(after.path, after.size) == row.content_hash  # the head-and-tail hash cannot tell
    known = {
        **{e.path: row_for(e, i) for i, e in enumerate(entries(root).values(), 2) if e.path != str(big)},
        str(big): row,
    }
    assert jobs_of(planned(root, known)) == {"long take.wav": BACKENDS}


def test_a_row_without_ctime_is_trusted_on_size_and_mtime(root):
    kick = entries(root)["kick.wav"]
    result = planned(root, {kick.path: row_for(kick, 1, ctime=None, inode=None, content_hash=None)})
    assert "kick.wav" not in jobs_of(result) and result.refresh == []


def test_files_gone_from_disk_are_reported_gone_but_offline_ones_stay_away(root):
    found = entries(root)
    known = {e.path: row_for(e, i) for i, e in enumerate(found.values(), 1)}
    known[str(root / "kit" / "gone ok.wav")] = Known(7, 10, 1.0, "ok")
    known[str(root / "kit" / "gone failed.wav")] = Known(8, 10, 1.0, "failed")
    known[str(root / "kit" / "still offline.wav")] = Known(9, 10, 1.0, "offline")
    known[str(root / "kit" / "already missing.wav")] = Known(10, 10, 1.0, "missing")
    result = planned(root, known)
    assert sorted(result.gone) == [7, 8] and result.jobs == []


def test_files_back_unchanged_are_revived_from_stored_vectors(root):
    found = entries(root)
    known = {
        found["kick.wav"].path: row_for(found["kick.wav"], 1, "offline"),
        found["snare.wav"].path: row_for(found["snare.wav"], 2, "missing"),
    }
    result = planned(root, known)
    assert sorted(result.revive) == [1, 2] and result.jobs == []


def test_a_file_back_lacking_a_backend_is_decoded_again_for_all(root):
    found = entries(root)
    known = {
        found["kick.wav"].path: row_for(found["kick.wav"], 1, "offline"),
        found["snare.wav"].path: row_for(found["snare.wav"], 2, "missing"),
    }
    result = planned(root, known, held={1: {"bands"}, 2: set(BACKENDS)})
    assert result.revive == [2] and jobs_of(result) == {"kick.wav": BACKENDS}


def test_a_file_back_but_changed_is_decoded(root):
    kick = entries(root)["kick.wav"]
    result = planned(root, {kick.path: row_for(kick, 1, "offline", size=3)})
    assert result.revive == [] and jobs_of(result)["kick.wav"] == BACKENDS


def test_failed_files_are_retried_when_changed_or_forced_only(root):
    found = entries(root)
    failed = {e.path: row_for(e, i, "failed") for i, e in enumerate(found.values(), 1)}
    unforced = planned(root, failed)
    assert (unforced.jobs, unforced.skipped) == ([], 2)
    assert jobs_of(planned(root, failed, forced=True)) == {"kick.wav": BACKENDS, "snare.wav": BACKENDS}
    failed[found["kick.wav"].path] = row_for(found["kick.wav"], 1, "failed", mtime=1.0)
    assert jobs_of(planned(root, failed)) == {"kick.wav": BACKENDS}


def test_a_backend_added_later_gets_a_job_for_it_alone(root):
    found = entries(root)
    known = {e.path: row_for(e, i) for i, e in enumerate(found.values(), 1)}
    result = planned(root, known, held={1: {"bands"}, 2: {"bands", "clap"}})
    assert jobs_of(result) == {"kick.wav": ("clap",)}


def test_samples_without_current_musical_facts_get_a_job_with_no_backends(root):
    found = entries(root)
    known = {e.path: row_for(e, i) for i, e in enumerate(found.values(), 1)}
    assert jobs_of(planned(root, known, unanalysed={2})) == {"snare.wav": ()}
    assert planned(root, known).jobs == []  # musical analysis off: no lookup, no job


def test_a_file_that_cannot_be_stat_ed_is_a_job_so_its_reason_is_recorded(root):
    os.symlink(root / "nowhere.wav", root / "kit" / "dangling.wav")
    dangling = entries(root)["dangling.wav"]
    assert dangling.problem == "broken symbolic link"
    known = {dangling.path: Known(5, 0, 0.0, "failed")}
    assert jobs_of(planned(root, known))["dangling.wav"] == BACKENDS


def test_forced_catches_a_read_permission_taken_away(root, monkeypatch):
    kick = entries(root)["kick.wav"]
    row = row_for(kick, 1)
    assert decide(kick, row, True, []) == "same"
    ReadLocks(monkeypatch).take(root / "kit" / "kick.wav")
    kick = stat_entry(kick.path, str(root))  # chmod moved the ctime: the hash read now fails too
    assert decide(kick, row, False, []) == "job" and decide(kick, row, True, []) == "job"
    assert decide(kick, row._replace(ctime=None), False, []) == "same"  # unforced: one stat, no read
    assert decide(kick, row._replace(ctime=None), True, []) == "job"


def test_an_offline_root_takes_its_ok_and_failed_samples_away():
    known = {
        "/a.wav": Known(1, 1, 1.0, "ok"),
        "/b.wav": Known(2, 1, 1.0, "failed"),
        "/c.wav": Known(3, 1, 1.0, "missing"),
        "/d.wav": Known(4, 1, 1.0, "offline"),
    }
    assert root_away(known) == [1, 2]


def test_disk_entries_of_a_file_a_folder_a_temporary_name_and_nothing(root):
    kick = str(root / "kit" / "kick.wav")
    assert [e.path for e in disk_entries(kick, str(root), EXTENSIONS)] == [kick]
    assert len(disk_entries(str(root / "kit"), str(root), EXTENSIONS)) == 2
    (root / "kit" / "take.wav.part").write_bytes(b"x")
    assert disk_entries(str(root / "kit" / "take.wav.part"), str(root), EXTENSIONS) == []
    assert disk_entries(str(root / "kit" / "gone.wav"), str(root), EXTENSIONS) == []
