"""Claims: an indexer claims files before decoding them, extends its claims, and releases them."""

from __future__ import annotations

import os
import time


def test_claimed_paths_are_held_by_this_process_until_released(store):
    paths = ["/S/b.wav", "/S/a.wav", "/S/\udcff odd.wav"]
    assert store.claim(paths, 30.0) == sorted(paths)
    held = store.claims()
    assert [c.path for c in held] == sorted(paths)
    assert all(c.pid == os.getpid() and 0 < c.seconds_left <= 30.0 for c in held)
    store.release_claims(["/S/a.wav"])
    assert [c.path for c in store.claims()] == sorted(["/S/b.wav", "/S/\udcff odd.wav"])


def test_claiming_again_extends_and_extend_reaches_every_claim(store):
    assert store.claim(["/S/a.wav"], 0.2) == ["/S/a.wav"]
    assert store.claim(["/S/a.wav", "/S/a.wav", "/S/b.wav"], 0.2) == ["/S/a.wav", "/S/b.wav"]
    assert store.extend_claims(60.0) == 2
    time.sleep(0.3)
    assert [c.path for c in store.claims()] == ["/S/a.wav", "/S/b.wav"], "extended past their first term"


def test_an_expired_claim_is_no_longer_listed(store):
    store.claim(["/S/a.wav"], 0.05)
    time.sleep(0.15)
    assert store.claims() == []
    assert store.claim(["/S/a.wav"], 5.0) == ["/S/a.wav"]


def test_claiming_nothing_and_releasing_unheld_paths_are_harmless(store):
    assert store.claim([], 5.0) == []
    store.release_claims(["/S/never.wav"])
    store.release_claims([])
    assert store.extend_claims(5.0) == 0
