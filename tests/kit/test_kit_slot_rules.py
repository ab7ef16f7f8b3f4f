"""Tags you can build on: an unsure tag fills no kit slot and matches no filter, and the kit says which
slots it left empty (an empty slot beats a wrong one).

The backend here is a plumbing tagger: each file is a sine tone, and the tone's pitch decides the tags
it reports, so every test states exactly how sure each sound's tag is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pytest

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.handlers import kit_replies
from soundalike.commands.kit import print_kit
from soundalike.engine.config import EngineSettings, Settings
from soundalike.engine.embedders.base import Analysis, BackendInfo, Embedder, unit_rows
from soundalike.engine.embedders.registry import BACKENDS
from soundalike.engine.library.browse import Filters
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import KitQuery
from tests.conftest import write

RATE = 16000
# file name -> (tone in Hz, the tags the tagger reports for it)
SOUNDS = {
    "kick.wav": (100.0, {"kick": 0.95, "tom": 0.05}),
    "snare-sure.wav": (300.0, {"snare": 0.8, "clap": 0.2}),
    "fx-zap.wav": (500.0, {"snare": 0.4, "other": 0.35, "clap": 0.25}),  # the best tag, but unsure
    "closed-hat.wav": (700.0, {"closed hat": 0.9, "open hat": 0.1}),
    "closed-hat-ringing.wav": (900.0, {"open hat": 0.45, "closed hat": 0.4, "cymbal": 0.15}),
    "hand-drum-maybe.wav": (1100.0, {"hand drum": 0.42, "tom": 0.38, "snare": 0.2}),
    "zap-other.wav": (1300.0, {"other": 0.9, "snare": 0.1}),
}
TONES = {round(tone): tags for tone, tags in SOUNDS.values()}


class ToneTagger(Embedder):
    """Tags each clip by the pitch of its tone (``SOUNDS``); the vector is a coarse spectrum."""

    name: ClassVar[str] = "tonetags"
    sample_rate: ClassVar[int] = RATE
    info: ClassVar[BackendInfo] = BackendInfo(good_for="tests", licence="MIT")
    window_seconds = 1.0

    def __init__(self, options=None):
        self.dim = 32

    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        return self.analyse(batch).vectors

    def analyse(self, batch: Sequence[np.ndarray]) -> Analysis:
        rows, tags = [], []
        for clip in batch:
            spectrum = np.abs(np.fft.rfft(clip[:RATE], n=RATE))
            rows.append(np.log10(np.array([b.sum() for b in np.array_split(spectrum[:2000], self.dim)]) + 1e-6) + 7)
            tone = min(TONES, key=lambda hz: abs(hz - int(np.argmax(spectrum))))
            tags.append(dict(TONES[tone]))
        return Analysis(vectors=unit_rows(np.array(rows)), tags=tags)


@pytest.fixture(scope="module")
def tagged_library(tmp_path_factory):
    root = tmp_path_factory.mktemp("tagged")
    t = np.arange(int(0.4 * RATE)) / RATE
    for name, (tone, _) in SOUNDS.items():
        write(root / "sounds" / name, (0.8 * np.sin(2 * np.pi * tone * t) * np.exp(-t / 0.1)).astype(np.float32), RATE)
    settings = Settings(
        engine=EngineSettings(
            data_dir=str(root / "data"),
            backends=("tonetags",),
            default_backend="tonetags",
            workers=1,
            worker_processes=False,
        )
    )
    library = Library(settings, {**BACKENDS, ToneTagger.name: ToneTagger})
    library.scan([str(root / "sounds")])
    yield library, root / "sounds"
    library.close()


def _picks(kit) -> dict[str, str | None]:
    return {c.slot.name: (c.pick.path.rsplit("/", 1)[1] if c.pick else None) for c in kit.slots}


def test_best_tags_leave_unsure_samples_out(tagged_library):
    library, root = tagged_library
    best = {library.browse.sample(sid).path.rsplit("/", 1)[1]: tag for sid, tag in library.best_tags().items()}
    assert best == {
        "kick.wav": "kick",
        "snare-sure.wav": "snare",
        "closed-hat.wav": "closed hat",
        "zap-other.wav": "other",
    }
    assert len(library.best_tags(min_score=0.0)) == len(SOUNDS)


def test_a_slot_takes_only_a_sure_tag_of_its_own_kind(tagged_library):
    library, root = tagged_library
    kit = library.kit(KitQuery(str(root / "kick.wav")))
    picks = _picks(kit)
    assert picks["kick"] == "kick.wav"
    assert picks["snare"] == "snare-sure.wav"  # never the unsure FX zap, never the "other" one
    assert picks["closed hat"] == "closed-hat.wav"
    assert picks["open hat"] is None  # the ringing closed hat is only "open hat?"
    assert picks["perc"] is None  # "hand drum?" is not a hand drum
    for choice in kit.slots:  # no alternative is unsure or of another kind either
        for hit in choice.choices:
            assert hit.path.rsplit("/", 1)[1] not in (
                "fx-zap.wav",
                "closed-hat-ringing.wav",
                "hand-drum-maybe.wav",
                "zap-other.wav",
            )
    assert "open hat" in kit.empty_slots() and "perc" in kit.empty_slots()
    assert "snare" not in kit.empty_slots()


def test_an_unsure_seed_leads_no_slot(tagged_library):
    library, root = tagged_library
    kit = library.kit(KitQuery(str(root / "closed-hat-ringing.wav")))
    assert _picks(kit)["open hat"] is None


def test_the_kit_reports_its_unfilled_slots_everywhere(tagged_library, capsys):
    library, root = tagged_library
    kit = library.kit(KitQuery(str(root / "kick.wav")))
    assert kit.as_json()["unfilled"] == kit.empty_slots()
    replies = kit_replies(7, kit)
    unfilled = [args[1] for address, args in replies if address == p.KIT_UNFILLED]
    assert unfilled == kit.empty_slots()
    assert replies[-1] == (p.DONE, (7, len(kit.picks())))
    print_kit(kit)
    out = capsys.readouterr().out
    assert "unfilled: " + ", ".join(kit.empty_slots()) in out


def test_a_tag_filter_matches_only_sure_tags(tagged_library):
    library, _ = tagged_library

    def names(**filters):
        return sorted(
            library.browse.sample(sid).path.rsplit("/", 1)[1] for sid in library.browse.ids_matching(Filters(**filters))
        )

    assert names(tag="open hat") == []
    assert names(tag="hand drum") == []
    assert names(tag="snare") == ["snare-sure.wav"]
    assert names(tag="open hat", tag_min_score=0.0) == ["closed-hat-ringing.wav"]  # (0.1 is not even stored)


def test_lists_show_an_unsure_best_tag_with_a_question_mark(tagged_library):
    library, _ = tagged_library
    ids = {library.browse.sample(sid).path.rsplit("/", 1)[1]: sid for sid in library.best_tags(min_score=0.0)}
    shown = library.browse.top_tags(list(ids.values()), 0.5)
    assert shown[ids["hand-drum-maybe.wav"]] == ["hand drum?"]
    assert shown[ids["kick.wav"]] == ["kick"]
