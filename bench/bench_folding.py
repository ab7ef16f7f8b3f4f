"""False and missed folds on real kits: velocity layers by name and by sound, distinct drums apart.

Indexes the dev set (``/work/shared/devdata/fetch-devset.sh DIR``: Hydrogen's GMRockKit with five
named velocity layers per drum, its TR808 kit, LMMS's numbered drums) into a fresh library, then
counts, from the copy and layer facts stored at index time:

* named layers: pairs of one drum's layers in GMRockKit/TR808 that share a family;
* false folds: pairs of different drums that share one (LMMS's ``snare01`` ... ``snare07``,
  ``tom01`` ... ``tom05`` are different drums numbered alike; so are ``808_Snare_1`` and ``_2``);
* by sound: GMRockKit copied with its layers renamed ``Kick-1`` ... ``Kick-5`` (numbers only), so
  only the audio can fold them; Tom1 and Tom2 must stay apart.

    .venv/bin/python bench/bench_folding.py [--devset /work/data/devset/devset.tsv]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from soundalike.engine.config import Settings  # noqa: E402
from soundalike.engine.library.facade import Library  # noqa: E402

VELOCITY = ("Softest", "Soft", "Med", "Hard", "Hardest")


def families(library: Library, paths: list[str]) -> dict[str, int]:
    rows = {path: library.browse.sample_by_path(path) for path in paths}
    ok = {path: row.id for path, row in rows.items() if row is not None and row.status == "ok"}
    labels = library.browse.sound_labels(ok.values())
    return {path: labels[sid][1] for path, sid in ok.items() if sid in labels}


def pairs(family: dict[str, int], same: callable) -> tuple[int, int, int, int]:
    """(folded true pairs, true pairs, folded false pairs, false pairs) among files of one folder."""
    counts = [0, 0, 0, 0]
    for a, b in itertools.combinations(family, 2):
        if os.path.dirname(a) != os.path.dirname(b):
            continue
        truth, folded = same(a, b), family[a] == family[b]
        counts[0 if truth else 2] += folded
        counts[1 if truth else 3] += 1
    return tuple(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", default="/work/data/devset/devset.tsv")
    args = parser.parse_args()
    rows = [line.rstrip("\n").split("\t") for line in open(args.devset)]
    label = {path: (group, name) for path, group, name, _ in rows}
    with tempfile.TemporaryDirectory() as tmp:
        numbered = Path(tmp) / "Numbered" / "GMNumbered"
        numbered.mkdir(parents=True)
        drum_of = {}
        for path, (group, _) in label.items():
            match = re.match(r"(.+)-(Softest|Soft|Med|Hardest|Hard)\.wav$", os.path.basename(path))
            if group == "GMRockKit" and match:
                copy = numbered / f"{match.group(1)}-{VELOCITY.index(match.group(2)) + 1}.wav"
                shutil.copy(path, copy)
                drum_of[str(copy)] = match.group(1)
        folders = sorted({str(Path(p).parent) for p in label})
        with Library(Settings().with_data_dir(Path(tmp) / "lib")) as library:
            library.scan(folders)
            real = families(library, list(label))
        with Library(Settings().with_data_dir(Path(tmp) / "numbered-lib")) as library:  # alone: no named twin
            library.scan([str(numbered.parent)])
            by_sound = families(library, list(drum_of))

    def same_drum(a: str, b: str) -> bool:  # LMMS numbers different drums alike: never one sound
        return label[a] == label[b] and label[a][0] != "LMMS"

    folded, true, false_folds, false = pairs(real, same_drum)
    print(
        f"dev set as shipped: {folded}/{true} pairs of one drum's named layers folded; "
        f"{false_folds} false folds among {false} pairs of different drums in one folder"
    )
    lmms = [
        (a, b)
        for a, b in itertools.combinations(real, 2)
        if label[a][0] == label[b][0] == "LMMS" and label[a][1] == label[b][1]
    ]
    print(
        f"  of those, LMMS drums numbered alike (snare01..07, tom01..05, ...): {len(lmms)} pairs, "
        f"{sum(real[a] == real[b] for a, b in lmms)} folded"
    )
    folded, true, false_folds, false = pairs(by_sound, lambda a, b: drum_of[a] == drum_of[b])
    print(
        f"GMRockKit renamed Kick-1..5 (numbers only, the audio decides): {folded}/{true} layer pairs folded; "
        f"{false_folds} false folds among {false} pairs of different drums (Tom1 vs Tom2 included)"
    )


if __name__ == "__main__":
    main()
