"""The retrieval metric on hand-checked toy cases, and against the team's own metrics.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from soundalike.engine.errors import UserError
from soundalike.engine.tools.evaluation import evaluate, read_labelled

SHARED_METRICS = Path(__file__).resolve().parents[4] / "shared" / "devdata" / "metrics.py"


def test_two_kits_perfect_ranking():
    vectors = [[1, 0], [0, 1], [0.9, 0.1], [0.1, 0.9]]
    result = evaluate(vectors, ["kick", "snare", "kick", "snare"], ["A", "A", "B", "B"], k=10)
    # each query sees two sounds from the other kit, the right one first
    assert result.top1 == 1.0 and result.mean_ap == 1.0
    assert result.precision_at_k == 0.5  # one hit among the two candidates
    assert result.queries == 4 and result.confusions == []
    assert result.best_precision_at_k == pytest.approx(0.1)  # one same-label sound elsewhere, k = 10
    assert result.per_label["kick"]["best_precision_at_k"] == pytest.approx(0.1)


def test_best_possible_precision_counts_same_label_sounds_in_other_groups():
    labels = ["kick", "kick", "kick", "hat", "hat"]
    groups = ["A", "B", "C", "A", "B"]
    result = evaluate(np.eye(5), labels, groups, k=2)
    # each kick has two kicks in other kits (cap 2/2), each hat one hat (cap 1/2)
    assert result.best_precision_at_k == pytest.approx((3 * 1.0 + 2 * 0.5) / 5)
    assert result.per_label["hat"]["best_precision_at_k"] == pytest.approx(0.5)


def test_same_kit_neighbours_do_not_count_and_confusions_are_named():
    vectors = [[1, 0], [0.99, 0.01], [0.2, 0.8], [0.1, 0.9]]
    # kick A's nearest is snare A (same kit, ignored); in kit B it is the snare first
    result = evaluate(vectors, ["kick", "snare", "kick", "snare"], ["A", "A", "B", "B"], k=1)
    assert result.top1 == pytest.approx(0.5)
    assert result.mean_ap == pytest.approx((0.5 + 1 + 0.5 + 1) / 4)
    assert ("kick", "snare", 1) in result.confusions or ("snare", "kick", 1) in result.confusions
    assert result.per_label["kick"]["queries"] == 2


def test_labels_with_one_group_only_raise_a_clear_error():
    with pytest.raises(UserError, match="two groups"):
        evaluate([[1, 0], [0, 1]], ["kick", "snare"], ["A", "A"])


@pytest.mark.skipif(not SHARED_METRICS.exists(), reason="shared/devdata/metrics.py is not beside the repo")
def test_agrees_with_the_team_metric_on_random_data():
    spec = importlib.util.spec_from_file_location("team_metrics", SHARED_METRICS)
    team = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(team)
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((60, 8))
    labels = rng.choice(["kick", "snare", "hat"], 60)
    groups = rng.choice(["k1", "k2", "k3", "k4"], 60)
    ours, theirs = evaluate(vectors, labels, groups), team.evaluate(vectors, labels, groups)
    assert ours.precision_at_k == pytest.approx(theirs["P@10"])
    assert ours.top1 == pytest.approx(theirs["top1"])
    assert ours.mean_ap == pytest.approx(theirs["mAP"])
    assert ours.queries == theirs["queries"]


def test_labelled_folder_and_tsv(tmp_path):
    for label in ("kick", "snare"):
        for kit in ("808", "909"):
            (tmp_path / "lib" / label / kit).mkdir(parents=True)
            (tmp_path / "lib" / label / kit / "a.wav").write_bytes(b"x")
    (tmp_path / "lib" / "README.txt").write_text("ignored")
    files = read_labelled(tmp_path / "lib", (".wav",))
    assert {(f.label, f.group) for f in files} == {("kick", "808"), ("kick", "909"), ("snare", "808"), ("snare", "909")}
    tsv = tmp_path / "labels.tsv"
    tsv.write_text("lib/kick/808/a.wav\t808\tKick 1\tkick\n\n/abs/x.wav\t909\tsnare\n")
    rows = read_labelled(tsv, (".wav",))
    assert rows[0].path == str(tmp_path / "lib/kick/808/a.wav") and rows[0].label == "kick"
    assert rows[1].path == "/abs/x.wav" and rows[1].group == "909" and rows[1].label == "snare"
