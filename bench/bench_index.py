"""Indexing speed on real files: `soundalike index` against a typical indexer, in turn, same run.

Both run as whole processes (imports, start-up and writes included) on the same folders, each
three times in turn; the medians are compared. CPU seconds per file (user + sys of the child) are
printed too: on a shared machine they move less with load than wall time. Then, in this process
and on one thread, where the time goes (read + hash, decode, mono + facts, trim + resample, musical
analysis, features, model, catalog write) and the decode + resample floor.

    .venv/bin/python bench/bench_index.py [FOLDER ...] [--repeats 3] [--skip-breakdown]
        [--one-shots SECONDS] [--drums] [--musical-off] [--baseline CHECKOUT] [--baseline-model NPZ]

Default folders: the dev set and the extra one-shots under /work/data (fetch-devset.sh, fetch-extra.sh).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.index_breakdown import audio_paths, breakdown, floor  # noqa: E402

DEFAULT_FOLDERS = ("/work/data/devset/root", "/work/data/extra/root")
DRUM_TABLES = ("/work/data/devset/devset.tsv", "/work/data/extra/extra.tsv")  # labelled drums: path<TAB>...
CONFIG = os.environ.get("BENCH_CONFIG")  # a config.toml for `soundalike index` (say, musical = false)


def one_shots(paths: list[str], folder: Path, longest: float) -> list[str]:
    """Copies of the files at most ``longest`` seconds long (the issue's population: kit one-shots)."""
    import soundfile as sf

    kept = []
    for number, path in enumerate(paths):
        try:
            if sf.info(path).duration > longest:
                continue
        except Exception:  # a broken file stays in: indexers must cope with it
            pass
        target = folder / f"{number:05d}_{Path(path).name}"
        target.write_bytes(Path(path).read_bytes())
        kept.append(str(target))
    return kept


def bytecode_env(env: dict[str, str], cache: Path) -> dict[str, str]:
    """Children run from compiled bytecode, as an installed package does (pip compiles it): with
    PYTHONDONTWRITEBYTECODE set, every run would compile ~90 modules first (~0.25 s of CPU). The
    cache lives outside the checkouts; the first of the repeated runs fills it."""
    env = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(cache)}


def labelled_drums(tables=DRUM_TABLES) -> list[str]:
    """The dev set's and the extra set's labelled drum one-shots (the folders also hold LMMS's
    instruments, loops and effects, which the musical analysis is meant to work on)."""
    return [
        line.split("\t")[0]
        for table in tables
        if Path(table).exists()
        for line in Path(table).read_text().splitlines()
        if line.count("\t") >= 3 and Path(line.split("\t")[0]).exists()
    ]


def timed_child(command: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds user+sys, last output line) of one child process."""
    env = bytecode_env(env, Path(tempfile.gettempdir()) / "soundalike-bench-pycache")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # cwd: `python -m` puts it first on sys.path, so it decides which checkout runs
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command[:3]} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return wall, cpu, lines[-1] if lines else ""


def ours(
    folders: list[str],
    tmp: Path,
    run: int,
    tree: Path = REPO,
    config: Path | None = None,
) -> tuple[float, float, str]:
    name = f"lib{tree.name}{config.stem if config else ''}{run}"
    env = {
        **os.environ,
        "SOUNDALIKE_DATA_DIR": str(tmp / name),
        "PYTHONPATH": str(tree),  # defaults, not the user's:
        "SOUNDALIKE_CONFIG": str(config) if config else CONFIG or str(tmp / "no-config.toml"),
    }
    return timed_child([sys.executable, "-m", "soundalike", "index", *folders], env, tree)


def typical(folders: list[str], tmp: Path, run: int) -> tuple[float, float, str]:
    return timed_child(
        [sys.executable, str(REPO / "bench" / "typical_indexer.py"), str(tmp / f"typ{run}"), *folders], dict(os.environ)
    )


def linked(tree: Path) -> Path:
    """``tree``, given the soundalike/engine, tui and bridge links when it predates them: without
    them ``python -m soundalike`` run there would import this checkout's engine, not its own."""
    for folder in ("engine", "tui", "bridge"):
        link = tree / "soundalike" / folder
        if (tree / folder).is_dir() and not link.exists():
            link.symlink_to(Path("..") / folder)
            print(f"baseline: linked {link} -> ../{folder}")
    return tree


def whole_process(
    folders: list[str],
    count: int,
    repeats: int,
    baseline: Path | None,
    musical_off: bool = False,
    baseline_model: Path | None = None,
) -> None:
    runs: dict[str, list[tuple[float, float, str]]] = {"soundalike index": [], "typical MFCC+FAISS": []}
    if baseline:
        runs[f"before ({baseline.name})"] = []
    if musical_off:
        runs["musical = false"] = []
    if baseline_model:
        runs[f"model {baseline_model.name}"] = []
    with tempfile.TemporaryDirectory() as tmp:
        off = Path(tmp) / "musical-off.toml"
        off.write_text("[engine]\nmusical = false\n")
        other_model = Path(tmp) / "other-model.toml"
        other_model.write_text(f"[backends.builtin]\nmodel_path = {str(baseline_model)!r}\n")
        (Path(tmp) / "empty").mkdir()
        for tree in (REPO, baseline) if baseline else (REPO,):  # fills the bytecode cache, untimed
            ours([str(Path(tmp) / "empty")], Path(tmp), -1, tree)
        for run in range(repeats):  # in turn, so all see the same load
            runs["soundalike index"].append(ours(folders, Path(tmp), run))
            runs["typical MFCC+FAISS"].append(typical(folders, Path(tmp), run))
            if baseline:
                runs[f"before ({baseline.name})"].append(ours(folders, Path(tmp), run, baseline))
            if musical_off:
                runs["musical = false"].append(ours(folders, Path(tmp), run, config=off))
            if baseline_model:
                runs[f"model {baseline_model.name}"].append(ours(folders, Path(tmp), run, config=other_model))
    print(f"\nwhole process, {count} audio files, median of {repeats} (in turn):")
    medians = {}
    for name, results in runs.items():
        wall = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        medians[name] = (wall, cpu)
        print(
            f"  {name:20s} {wall:6.2f} s  {count / wall:6.1f} files/s  CPU {cpu:6.2f} s "
            f"= {1000 * cpu / count:5.2f} ms/file ({cpu / wall:.2f} cores)   [{results[-1][2]}]"
        )
    w_ours, c_ours = medians["soundalike index"]
    w_typ, c_typ = medians["typical MFCC+FAISS"]
    print(f"  ratio: {w_typ / w_ours:.2f}x faster (wall), {c_typ / c_ours:.2f}x less CPU per file")
    if baseline:
        w_old, c_old = medians[f"before ({baseline.name})"]
        print(f"  against before: {w_old / w_ours:.2f}x faster (wall), {c_old / c_ours:.2f}x less CPU per file")
    if baseline_model:
        w_old, c_old = medians[f"model {baseline_model.name}"]
        print(f"  against that model: {w_old / w_ours:.2f}x faster (wall), {c_old / c_ours:.2f}x less CPU per file")
    if musical_off:
        w_off, c_off = medians["musical = false"]
        print(
            f"  musical on / off: {w_ours / w_off:.2f}x wall, {c_ours / c_off:.2f}x CPU per file "
            f"(CPU per run, on: {sorted(round(r[1], 2) for r in runs['soundalike index'])}, "
            f"off: {sorted(round(r[1], 2) for r in runs['musical = false'])})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", default=list(DEFAULT_FOLDERS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-breakdown", action="store_true")
    parser.add_argument("--skip-whole", action="store_true")
    parser.add_argument(
        "--one-shots",
        type=float,
        metavar="SECONDS",
        help="index copies of only the files at most this long (loops and pads left out)",
    )
    parser.add_argument(
        "--drums",
        action="store_true",
        help=f"index copies of only the labelled drum one-shots ({', '.join(DRUM_TABLES)})",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout of soundalike (say, `git archive` of the "
        "base commit) to index with too, in turn: before/after in the same run",
    )
    parser.add_argument(
        "--baseline-model",
        type=Path,
        help="index with this built-in model file too (say, "
        "`git show 18cf80f:engine/embedders/builtin_model.npz`): this checkout's code, in turn. "
        "A --baseline checkout still imports this checkout's engine where it is installed editable",
    )
    parser.add_argument(
        "--musical-off",
        action="store_true",
        help="index with `[engine] musical = false` too, "
        "in turn: the musical analysis's share of indexing in the same run",
    )
    args = parser.parse_args()
    paths = audio_paths(args.folders)
    scratch = tempfile.TemporaryDirectory()
    if args.drums:
        paths = labelled_drums()
    if args.one_shots or args.drums:
        paths = one_shots(paths, Path(scratch.name), args.one_shots or float("inf"))
        args.folders = [scratch.name]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"folders: {' '.join(args.folders)} ({len(paths)} audio files by extension)"
        f"{f', one-shots up to {args.one_shots} s' if args.one_shots else ''}"
        f"{', labelled drums only' if args.drums else ''}; config: {CONFIG or 'defaults'}"
    )
    if not args.skip_whole:
        whole_process(
            args.folders,
            len(paths),
            args.repeats,
            args.baseline and linked(args.baseline),
            args.musical_off,
            args.baseline_model,
        )
    if not args.skip_breakdown:
        breakdown(paths)
        floor(paths)
    return 0


if __name__ == "__main__":
    sys.exit(main())
