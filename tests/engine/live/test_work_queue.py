"""WorkQueue on its own: de-duplication, lanes and order, offline roots, idleness.

Pure and single-threaded: no service, no sleeps. The threaded behaviour is covered by the service
tests; these pin down the rules those rely on.
"""

from __future__ import annotations

from soundalike.engine.live.work_queue import WorkQueue
from soundalike.engine.pipeline.ingest import Job
from soundalike.engine.pipeline.walk import FileEntry


def job(path: str, size: int = 100, backends: tuple[str, ...] = ("bands",)) -> Job:
    return Job(FileEntry(path, size=size, mtime=1.0, root="/lib"), backends)


def paths(jobs: list[Job]) -> list[str]:
    return [j.entry.path for j in jobs]


def test_a_burst_on_one_path_is_one_entry_and_forced_sticks():
    queue = WorkQueue()
    queue.add_paths(["/lib/a.wav"], forced=False)
    queue.add_paths(["/lib/a.wav", "/lib/b.wav"], forced=True)
    queue.add_paths(["/lib/a.wav"], forced=False)
    assert len(queue) == 2
    changes = queue.take_changes()
    assert changes.paths == {"/lib/a.wav": True, "/lib/b.wav": True} and changes.moves == []
    assert len(queue) == 0 and not queue.take_changes()


def test_moves_keep_their_order():
    queue = WorkQueue()
    queue.add_move("/lib/a.wav", "/lib/b.wav")
    queue.add_moves([("/lib/b.wav", "/lib/c.wav"), ("/lib/x.wav", "/lib/y.wav")])
    assert queue.take_changes().moves == [
        ("/lib/a.wav", "/lib/b.wav"),
        ("/lib/b.wav", "/lib/c.wav"),
        ("/lib/x.wav", "/lib/y.wav"),
    ]


def test_a_job_planned_again_replaces_the_older_one_and_goes_to_the_back():
    queue = WorkQueue()
    queue.add_jobs([job("/lib/a.wav", 100), job("/lib/b.wav")])
    queue.add_jobs([job("/lib/a.wav", 200)])
    assert queue.pending_jobs() == 2
    taken = queue.take_jobs(10)
    assert paths(taken) == ["/lib/b.wav", "/lib/a.wav"] and taken[1].entry.size == 200


def test_files_that_landed_alone_come_before_the_bulk_backlog():
    queue = WorkQueue()
    queue.add_jobs([job(f"/lib/pack/{n}.wav") for n in range(5)], bulk=True)
    queue.add_jobs([job("/lib/new.wav")])
    assert paths(queue.take_jobs(3)) == ["/lib/new.wav", "/lib/pack/0.wav", "/lib/pack/1.wav"]
    assert paths(queue.take_jobs(10)) == ["/lib/pack/2.wav", "/lib/pack/3.wav", "/lib/pack/4.wav"]


def test_a_file_of_a_folder_walk_reported_again_unchanged_stays_in_the_backlog():
    queue = WorkQueue()
    queue.add_jobs([job("/lib/pack/0.wav"), job("/lib/pack/1.wav")], bulk=True)
    queue.add_jobs([job("/lib/pack/1.wav"), job("/lib/alone.wav")])  # the walk's file, same facts
    assert paths(queue.take_jobs(10)) == ["/lib/alone.wav", "/lib/pack/0.wav", "/lib/pack/1.wav"]


def test_a_changed_file_leaves_the_backlog_for_the_fresh_lane():
    queue = WorkQueue()
    queue.add_jobs([job("/lib/pack/0.wav"), job("/lib/pack/1.wav")], bulk=True)
    queue.add_jobs([job("/lib/pack/1.wav", size=999)])
    assert paths(queue.take_jobs(10)) == ["/lib/pack/1.wav", "/lib/pack/0.wav"]


def test_an_offline_root_drops_only_jobs_below_it():
    queue = WorkQueue()
    queue.add_jobs([job("/lib/a/1.wav"), job("/lib/ab/2.wav")])
    queue.add_jobs([job("/lib/a/3.wav")], bulk=True)
    queue.drop_under("/lib/a/")
    assert paths(queue.take_jobs(10)) == ["/lib/ab/2.wav"]


def test_idle_only_when_empty_and_every_take_is_done():
    queue = WorkQueue()
    assert queue.idle() and queue.wait_idle(0) and not queue.wait(0)
    queue.add_jobs([job("/lib/a.wav")])
    assert not queue.idle() and queue.wait(0) and not queue.wait_idle(0)
    queue.take_jobs(1)
    assert not queue.idle()  # taken, results not applied yet
    queue.done()
    assert queue.idle() and queue.wait_idle(0)
    queue.done()  # an extra done never makes it negative
    queue.take_changes()
    assert not queue.idle()
    queue.done()
    assert queue.idle()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_folder_copied_in_file_by_file_is_a_drop_and_a_file_landing_elsewhere_goes_first():
    queue = WorkQueue()
    copied = [f"/lib/Pack/{n // 50}/hit{n:03d}.wav" for n in range(200)]  # cp -r: one file at a time
    for path in copied:
        queue.add_jobs([job(path)])
    queue.add_jobs([job("/lib/Kicks/new kick.wav")])  # a single file, while the copy goes on
    queue.add_jobs([job("/lib/Pack/3/late.wav")])  # the drop goes on: still backlog
    first = paths(queue.take_jobs(8))
    assert first[0] == "/lib/Kicks/new kick.wav"
    taken = first + [p for _ in range(40) for p in paths(queue.take_jobs(8))]
    assert sorted(taken) == sorted([*copied, "/lib/Kicks/new kick.wav", "/lib/Pack/3/late.wav"])  # nothing lost


def test_a_few_files_landing_in_one_folder_stay_fresh_and_a_quiet_folder_is_no_drop_any_more():
    clock = Clock()
    queue = WorkQueue(clock=clock)
    queue.add_jobs([job("/lib/old/a.wav")], bulk=True)  # a start-up catch-up's backlog
    for n in range(5):
        queue.add_jobs([job(f"/lib/Kicks/k{n}.wav")])
    assert paths(queue.take_jobs(5)) == [f"/lib/Kicks/k{n}.wav" for n in range(5)]
    for n in range(40):
        queue.add_jobs([job(f"/lib/Pack/p{n}.wav")])
    clock.now += 60  # the copy ended a minute ago
    queue.add_jobs([job("/lib/Pack/one more.wav")])
    assert paths(queue.take_jobs(1)) == ["/lib/Pack/one more.wav"]
    for n in range(80):  # takes saved one by one, four a second for twenty seconds: no drop
        clock.now += 0.25
        queue.add_jobs([job(f"/lib/Takes/t{n}.wav")])
        assert paths(queue.take_jobs(1)) == [f"/lib/Takes/t{n}.wav"]
