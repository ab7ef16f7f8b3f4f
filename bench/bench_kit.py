"""Kit builder figures on the real dev kits: do the picks share the seed's character?

Every labelled one-shot of the dev set (/work/data/devset) is indexed with the built-in backend
and used in turn as the seed of a kit. A kit's character is measured by how many of its picks
(the seed's own slot left out) come from the seed's own kit (GMRockKit, TR808EmulationKit,
LMMS): the sounds made, recorded and processed together. Chance is the share of each slot's
whole pool (every sample of its kinds) that is from the seed's kit. Compared in the same run: the default character weights (timbre + envelope)
against the class block alone ("overall", what "find similar" leads with) and plain random picks.
Also reported: the share of picks whose labelled class fits the slot (the tags are right).

    .venv/bin/python bench/bench_kit.py [--devset /work/data/devset/devset.tsv]
    .venv/bin/python bench/bench_kit.py --speed 100000   # build time on a synthetic library of that size
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_recording import index_devset, read_devset  # noqa: E402
from soundalike.engine.kits.builder import KitBuilder  # noqa: E402
from soundalike.engine.library.query import SimilarQuery  # noqa: E402

#: Dev set classes that fit each slot (the dev set says "hihat", "cymbal", "bell", "hand").
FITS = {
    "kick": {"kick"},
    "snare": {"snare"},
    "clap": {"clap"},
    "closed hat": {"hihat"},
    "open hat": {"hihat"},
    "low tom": {"tom"},
    "mid tom": {"tom"},
    "high tom": {"tom"},
    "crash": {"cymbal"},
    "ride": {"cymbal"},
    "perc": {"bell", "hand", "shaker", "rim"},
}


def kit_figures(library, seeds, groups, classes, weights, label: str, shuffle: bool = False) -> str:
    same = chance = right = picks = 0
    rng = random.Random(0)
    builder = KitBuilder(library, alternatives=30 if shuffle else 8, weights=weights)
    kinds = builder._best_tags()
    for seed in seeds:
        kit = builder.build(seed)
        if shuffle:
            kit.reroll(rng)
        seed_slot = kit.slots[0].slot.name if kit.slots[0].pick and kit.slots[0].pick.path == seed else None
        for choice in kit.slots:
            pick = choice.pick
            if pick is None or choice.slot.name == seed_slot or pick.path == seed:
                continue
            picks += 1
            same += groups.get(pick.path) == groups[seed]
            pool = [
                row.path for row in library.browse.samples(builder._pool(choice.slot, kinds, set()).tolist()).values()
            ]
            right += classes.get(pick.path) in FITS[choice.slot.name]
            chance += sum(groups.get(p) == groups[seed] for p in pool) / len(pool)
    return f"| {label} | {len(seeds)} | {picks} | {same / picks:.1%} | {chance / picks:.1%} | {right / picks:.1%} |"


TAGS = ("kick", "snare", "clap", "closed hat", "open hat", "tom", "cymbal", "rim", "shaker", "percussion", "other")


def speed(count: int, repeat: int = 5) -> None:
    """Kit build time over ``count`` synthetic samples (random vectors, one tag each; no audio), with
    a single ``similar`` query in the same session as the baseline."""
    from bench.synthetic_library import catalog_of, fill
    from soundalike.engine.config import EngineSettings, Settings
    from soundalike.engine.library.facade import Library

    with tempfile.TemporaryDirectory() as tmp:
        library = Library(
            Settings(engine=EngineSettings(data_dir=tmp, backends=("builtin",), default_backend="builtin"))
        )
        fill(library, count, "builtin", library.embedder("builtin").dim)
        with catalog_of(library).transaction() as tx:
            tx.executemany(
                "INSERT INTO tags(sample_id, source, tag, score) VALUES (?, 'builtin', ?, 0.9)",
                [(sid, TAGS[sid % len(TAGS)]) for sid in range(1, count + 1)],
            )
        builder, times, base = KitBuilder(library), [], []
        for seed in range(1, repeat + 1):
            started = time.perf_counter()
            builder.build(seed)
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            library.similar(SimilarQuery(seed, k=10, collapse=False))
            base.append(time.perf_counter() - started)
        library.close()
    times.sort()
    base.sort()
    print(
        f"{count:,} samples: kit build median {times[len(times) // 2] * 1000:.0f} ms "
        f"(similar, same session: {base[len(base) // 2] * 1000:.0f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", default="/work/data/devset/devset.tsv")
    parser.add_argument("--speed", type=int, metavar="N", help="time kit builds on N synthetic samples instead")
    args = parser.parse_args()
    if args.speed:
        speed(args.speed)
        return
    rows = read_devset(Path(args.devset))
    groups = {path: group for path, group, _, _ in rows}
    classes = {path: cls for path, _, _, cls in rows}
    with tempfile.TemporaryDirectory() as tmp:
        library = index_devset(rows, Path(tmp) / "lib")
        seeds = [p for p, *_ in rows if (r := library.browse.sample_by_path(p)) is not None and r.status == "ok"]
        started = time.perf_counter()
        print(
            "| picks by | seeds | picks | from the seed's kit | chance (share of the slot's whole pool) | class fits the slot |"
        )
        print("|---|---|---|---|---|---|")
        print(kit_figures(library, seeds, groups, classes, None, "character: timbre 1 + envelope 0.5 (default)"))
        print(kit_figures(library, seeds, groups, classes, {"overall": 1.0}, "class block only (overall)"))
        print(
            kit_figures(
                library, seeds, groups, classes, {"overall": 1.0}, "random alternative of 30 per slot", shuffle=True
            )
        )
        print(f"\n({time.perf_counter() - started:.0f} s for {3 * len(seeds)} kits)")
        library.close()


if __name__ == "__main__":
    main()
