"""Musical facts on labelled material: loop/one-shot, tempo, key and root-note accuracy.

    .venv/bin/python bench/bench_musical.py [--renders ~/.cache/soundalike/bench-musical] [--names]

Material (bench/musical_material.py): loops and tonal one-shots rendered with fluidsynth from MIDI
across three General MIDI soundfonts (tempo, key and note known by construction), Sonic Pi's loops
(tempo from its tutorial's beat counts, its pack's name, or counted) and tonal one-shots (root from
the name), and the dev set's real drum one-shots (all one-shots; drums should get no note).
Files are analysed by audio alone (names withheld) unless --names is given.
Also prints the cost of the analysis against decoding, on the same drum files in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.musical_material import Item, cut_mid_bar, drum_items, rendered_items, sonic_pi_items  # noqa: E402
from soundalike.engine.config import Settings  # noqa: E402
from soundalike.engine.embedders.builtin import BuiltinEmbedder  # noqa: E402
from soundalike.engine.errors import FileError  # noqa: E402
from soundalike.engine.musical.analysis import Musical, analyse_decoded  # noqa: E402
from soundalike.engine.musical.drums import drum_reason  # noqa: E402
from soundalike.engine.musical.keys import key_name, keys_related, note_name  # noqa: E402
from soundalike.engine.pipeline.audio import decode_file, prepare  # noqa: E402


def tempo_scores(pairs: list[tuple[float, float | None]]) -> tuple[int, int, int]:
    """(within 4 %, within 4 % of half or double only, labelled) over (label, estimate) pairs."""
    exact = octave = 0
    for label, estimate in pairs:
        if estimate is None:
            continue
        if abs(estimate - label) <= 0.04 * label:
            exact += 1
        elif any(abs(estimate - label * f) <= 0.04 * label * f for f in (0.5, 2.0)):
            octave += 1
    return exact, octave, len(pairs)


def evaluate(items: list[Item], use_names: bool, drum_gate: bool = True) -> dict[str, list[tuple[Item, Musical]]]:
    """Each file's facts as `soundalike index` finds them: with the built-in backend's tags telling
    drums (soundalike.engine.musical.drums), unless ``drum_gate`` is off."""
    out: dict[str, list[tuple[Item, Musical]]] = defaultdict(list)
    tagger = BuiltinEmbedder() if drum_gate else None
    for item in items:
        try:
            decoded = decode_file(item.path)
        except FileError:
            continue  # the dev set's broken file: decoding reports it, there is nothing to analyse
        item.extra["duration"] = decoded.facts.duration
        name = item.path if use_names else ""
        drum = drum_reason({"builtin": builtin_tags(tagger, decoded)}) if tagger else None
        facts = analyse_decoded(decoded, name, drum=drum)
        if drum:
            item.extra["gated"] = True
            item.extra["gate took a root"] = facts.root is None and analyse_decoded(decoded, name).root is not None
        out[item.group].append((item, facts))
    return out


def builtin_tags(tagger: BuiltinEmbedder, decoded) -> dict[str, float]:
    clip = prepare(decoded, tagger.sample_rate, Settings().engine.trim_db, tagger.reads_seconds)
    return tagger.analyse([clip]).tags[0]


def pct(n: int, d: int) -> str:
    return f"{n}/{d} ({100 * n / d:.0f} %)" if d else "–"


def report(results: dict[str, list[tuple[Item, Musical]]], verbose: bool) -> None:
    for group, pairs in results.items():
        print(f"\n== {group}: {len(pairs)} files")
        gated = [i for i, _ in pairs if i.extra.get("gated")]
        if gated:
            print(
                f"  taken for drums by the built-in tags (no pitch search): {len(gated)}; root notes that cost: "
                f"{sum(bool(i.extra.get('gate took a root')) for i in gated)}"
            )
        kinds = [(i, m) for i, m in pairs if i.kind]
        right = sum(m.kind == i.kind for i, m in kinds)
        unknown = sum(m.kind is None for _, m in kinds)
        print(f"  loop/one-shot right: {pct(right, len(kinds))}; unknown {unknown}")
        tempo = [(i.bpm, m.bpm) for i, m in pairs if i.bpm]
        if tempo:
            exact, octave, n = tempo_scores(tempo)
            print(
                f"  tempo within 4 %: {pct(exact, n)}; half/double only: {pct(octave, n)}; "
                f"either: {pct(exact + octave, n)}; none given: {sum(e is None for _, e in tempo)}"
            )
        keys = [(i.key, m.key) for i, m in pairs if i.key is not None]
        if keys:
            exact = sum(k == e for k, e in keys)
            related = sum(e is not None and keys_related(k, e) for k, e in keys)
            print(
                f"  key exact: {pct(exact, len(keys))}; same/relative/fifth: {pct(related, len(keys))}; "
                f"none given: {sum(e is None for _, e in keys)}"
            )
        roots = [(i, m) for i, m in pairs if i.root is not None or i.root_class is not None]
        if roots:
            exact = sum(i.root is not None and m.root == i.root for i, m in roots)
            classes = sum(
                m.root is not None and m.root % 12 == (i.root if i.root is not None else i.root_class) % 12
                for i, m in roots
            )
            given = sum(m.root is not None for _, m in roots)
            exact_text = f"exact note: {pct(exact, len(roots))}; " if any(i.root is not None for i, _ in roots) else ""
            print(f"  root {exact_text}pitch class: {pct(classes, len(roots))}; none given: {len(roots) - given}")
        drums = [(i, m) for i, m in pairs if i.drum]
        if drums:
            noted = [(i, m) for i, m in drums if m.root is not None]
            by_class = defaultdict(int)
            for i, _ in noted:
                by_class[i.extra.get("class", "?")] += 1
            print(f"  drums given a root note: {pct(len(noted), len(drums))} {dict(by_class)}")
            wrong = [(i, m) for i, m in drums if m.kind != "one-shot"]
            long = [(i, m) for i, m in drums if i.extra.get("duration", 0) >= 2.5]
            print(
                f"  drums not called one-shots: {len(wrong)}; drums of 2.5 s or more (loops by the old "
                f"rule): {len(long)}, one-shots now: {sum(m.kind == 'one-shot' for _, m in long)}"
            )
        if verbose:
            for i, m in pairs:
                label = " ".join(
                    filter(
                        None,
                        [
                            i.kind,
                            f"{i.bpm:g}" if i.bpm else "",
                            key_name(i.key) if i.key is not None else "",
                            note_name(i.root) if i.root is not None else "",
                        ],
                    )
                )
                print(
                    f"    {Path(i.path).name:28s} label [{label}]  got [{m.kind} {m.bpm} {m.key_name} "
                    f"{m.root_name}]  {'; '.join(m.notes)}"
                )


def cost(items: list[Item], rounds: int = 3) -> None:
    """Analysis time against decode time on the same files (a ratio: these machines are noisy),
    without and with the drum gate (the built-in tags, computed once and untimed)."""
    paths = [i.path for i in items]
    decoded = []
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        started = time.perf_counter()
        decoded = []
        for path in paths:
            try:
                decoded.append(decode_file(path))
            except FileError:
                pass
        times["decode"].append(time.perf_counter() - started)
        if not times["gated"]:
            tagger = BuiltinEmbedder()
            drums = [drum_reason({"builtin": builtin_tags(tagger, d)}) for d in decoded]
        for label, reasons in (("ungated", [None] * len(decoded)), ("gated", drums)):
            started = time.perf_counter()
            for d, drum in zip(decoded, reasons):
                analyse_decoded(d, drum=drum)
            times[label].append(time.perf_counter() - started)
    dec, ungated, gated = (statistics.median(times[k]) for k in ("decode", "ungated", "gated"))
    print(
        f"\ncost on {len(decoded)} drum one-shots: decode {1000 * dec / len(decoded):.2f} ms/file, "
        f"analysis {1000 * ungated / len(decoded):.2f} ms/file ({ungated / dec:.2f}x decode) without the drum "
        f"gate, {1000 * gated / len(decoded):.2f} ms/file ({gated / dec:.2f}x decode) with it"
    )


def index_cost(folder: str, rounds: int = 5) -> None:
    """Full indexing (decode, built-in embedder, catalog) of the same drum folder with the musical
    analysis off, on, and on without the drum gate, in turn; CPU seconds of this process (start-up
    left out), 1 worker. The ratios are the figure (these machines are noisy)."""
    import dataclasses
    import tempfile

    import soundalike.engine.pipeline.ingest
    from soundalike.engine.library.facade import Library

    cpu: dict[str, list[float]] = defaultdict(list)
    shares: list[float] = []
    count = 0
    real_analyse, real_gate = (
        soundalike.engine.pipeline.ingest.analyse_safely,
        soundalike.engine.pipeline.ingest.drum_reason,
    )
    spent: list[float] = []

    def timed(*args, **kwargs):
        started = time.thread_time()
        try:
            return real_analyse(*args, **kwargs)
        finally:
            spent.append(time.thread_time() - started)

    soundalike.engine.pipeline.ingest.analyse_safely = timed
    try:
        for _ in range(rounds):
            for variant in ("off", "on", "on, no drum gate"):
                spent.clear()
                soundalike.engine.pipeline.ingest.drum_reason = real_gate if variant == "on" else (lambda tags: None)
                with tempfile.TemporaryDirectory() as data:
                    base = Settings()
                    settings = dataclasses.replace(base.engine, data_dir=data, workers=1, musical=variant != "off")
                    started = time.process_time()
                    with Library(dataclasses.replace(base, engine=settings)) as library:
                        report = library.scan([folder])
                    cpu[variant].append(time.process_time() - started)
                    count = report.indexed + len(report.failed)
                if variant == "on":
                    shares.append(sum(spent) / cpu[variant][-1])
    finally:
        soundalike.engine.pipeline.ingest.analyse_safely, soundalike.engine.pipeline.ingest.drum_reason = (
            real_analyse,
            real_gate,
        )
    off, on, ungated = (statistics.median(cpu[v]) for v in ("off", "on", "on, no drum gate"))
    print(
        f"\nindexing {count} files under {folder} (built-in backend, 1 worker, CPU of this process, median of "
        f"{rounds} in turn): off {1000 * off / count:.2f} ms/file, on {1000 * on / count:.2f}, on without the drum "
        f"gate {1000 * ungated / count:.2f}: on/off {on / off:.3f}, without the gate {ungated / off:.3f}; runs "
        f"{ {v: [round(t, 2) for t in ts] for v, ts in cpu.items()} }; share of each 'on' run spent in the analysis: "
        f"{[f'{x:.1%}' for x in shares]}"
    )


def drum_copies(folder: Path) -> str:
    """The labelled real drums (dev set + extra) copied into ``folder``, the population of the issue's speed goal."""
    from bench.bench_index import labelled_drums, one_shots

    one_shots(labelled_drums(), folder, float("inf"))
    return str(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", default=str(Path.home() / ".cache" / "soundalike" / "bench-musical"))
    parser.add_argument("--names", action="store_true", help="let the analysis read the file names too")
    parser.add_argument(
        "--no-drum-gate",
        action="store_true",
        help="analyse drums as tonal sounds too (as before the built-in tags gated them)",
    )
    parser.add_argument("--verbose", action="store_true", help="every file's label and result")
    parser.add_argument(
        "--index-folder",
        default="drums",
        help="a drum folder to index with the analysis off "
        "and on ('drums': copies of the labelled real drums; '' skips it)",
    )
    args = parser.parse_args()
    drums = drum_items()
    rendered = rendered_items(Path(args.renders))
    items = rendered + cut_mid_bar(rendered, Path(args.renders)) + sonic_pi_items() + drums
    report(evaluate(items, args.names, not args.no_drum_gate), args.verbose)
    cost(drums)
    if args.index_folder == "drums":
        with tempfile.TemporaryDirectory() as folder:
            index_cost(drum_copies(Path(folder)))
    elif args.index_folder and Path(args.index_folder).is_dir():
        index_cost(args.index_folder)


if __name__ == "__main__":
    main()
