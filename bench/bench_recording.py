"""Search by recording, measured honestly on the real dev kits (/work/data/devset by default).

Every labelled one-shot is indexed with the built-in backend. Then each one is:

* played through a simulated room and microphone and "recorded back": convolved with an impulse
  response generated here (direct sound, a few early reflections, an exponentially decaying noise
  tail of a given RT60), coloured by a mic EQ (high-pass, presence peak, top roll-off), given a
  noise floor, a gain change and 0.3 s of lead-in, resampled to 48 kHz; then its noise floor
  subtracted and cut to its first hit exactly as ``soundalike listen`` does (and once more with
  the noise kept, ``--keep-noise``) and searched with ``Library.similar``;
* placed in rendered loops (eighth notes at 120 BPM, tails overlapping the next hit, random hits
  of the same kit) and cut out again with ``similar FILE --from --to``'s span code, the span
  starting 30 ms before the hit (inside the previous hit's tail) and ending at the next hit.

Reported: how often the original file is the top hit and in the top 10, and how often the top hit
is the same instrument of the same kit (any velocity layer: GMRockKit holds five near-identical
layers per drum, which a room blurs together). "dry" queries the untouched audio through the same
path: the baseline of the same run.

    .venv/bin/python bench/bench_recording.py [--devset /work/data/devset/devset.tsv] [--loops 6]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soundalike.engine.config import EngineSettings, Settings  # noqa: E402
from soundalike.engine.errors import SoundalikeError  # noqa: E402
from soundalike.engine.library.facade import Library  # noqa: E402
from soundalike.engine.library.query import SimilarQuery  # noqa: E402
from soundalike.engine.pipeline.audio import decode_file  # noqa: E402
from soundalike.engine.pipeline.recording import Clip, cleaned, span_of_file, trimmed  # noqa: E402

REC_RATE = 48000


@dataclass(frozen=True)
class Room:
    name: str
    rt60: float  # seconds; 0: no room, mic only
    tail_db: float  # level of the reverberant tail against the direct sound
    mic_noise_db: float = -60.0


ROOMS = (
    Room("dry (baseline: no room, no mic)", 0.0, -200.0, -200.0),
    Room("mic EQ + noise only", 0.0, -200.0),
    Room("small room (RT60 0.25 s)", 0.25, -14.0),
    Room("live room (RT60 0.6 s)", 0.6, -10.0),
    Room("hall, far mic (RT60 1.2 s)", 1.2, -6.0),
)


def impulse_response(room: Room, rate: int, rng: np.random.Generator) -> np.ndarray:
    length = int(max(room.rt60, 0.03) * 1.2 * rate)
    ir = np.zeros(length, np.float32)
    ir[0] = 1.0
    if room.rt60 <= 0:
        return ir
    for delay in rng.uniform(0.003, 0.025, 6):
        ir[int(delay * rate)] += rng.uniform(0.2, 0.5) * rng.choice([-1, 1])
    t = np.arange(length) / rate
    tail = rng.standard_normal(length) * np.exp(-6.91 * t / room.rt60) * (t > 0.01)
    tail *= 10 ** (room.tail_db / 20) / (np.sqrt(np.sum(tail**2) / rate * 10) + 1e-9)
    return (ir + tail).astype(np.float32)


def mic_eq(audio: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    high_pass = signal.butter(2, rng.uniform(60, 110), "highpass", fs=rate, output="sos")
    low_pass = signal.butter(2, min(rng.uniform(11000, 16000), rate / 2 - 500), "lowpass", fs=rate, output="sos")
    out = signal.sosfilt(low_pass, signal.sosfilt(high_pass, audio))
    b, a = peaking(rng.uniform(3000, 5000), rng.uniform(2, 5), 1.0, rate)
    return signal.lfilter(b, a, out).astype(np.float32)


def peaking(freq: float, gain_db: float, q: float, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """RBJ cookbook peaking EQ."""
    a_gain, w0 = 10 ** (gain_db / 40), 2 * np.pi * freq / rate
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a_gain, -2 * np.cos(w0), 1 - alpha * a_gain])
    a = np.array([1 + alpha / a_gain, -2 * np.cos(w0), 1 - alpha / a_gain])
    return b / a[0], a / a[0]


def record_through(audio: np.ndarray, rate: int, room: Room, rng: np.random.Generator, clean: bool = True) -> Clip:
    if room.mic_noise_db > -200:
        wet = signal.fftconvolve(audio, impulse_response(room, rate, rng))[: audio.size + int(room.rt60 * rate)]
        wet = mic_eq(wet, rate, rng)
    else:
        wet = audio.copy()
    wet = soxr.resample(wet.astype(np.float32), rate, REC_RATE)
    wet = wet / (np.abs(wet).max() + 1e-9) * 10 ** (rng.uniform(-18, -3) / 20)
    take = np.concatenate([np.zeros(int(0.3 * REC_RATE), np.float32), wet, np.zeros(int(0.2 * REC_RATE), np.float32)])
    if room.mic_noise_db > -200:
        take += rng.standard_normal(take.size).astype(np.float32) * 10 ** (room.mic_noise_db / 20)
    clip = Clip(take.astype(np.float32), REC_RATE, 0.0, "take")
    return trimmed(cleaned(clip) if clean else clip)  # as `soundalike listen` does (--keep-noise: clean=False)


@dataclass
class Score:
    top1: int = 0
    top10: int = 0
    same_instrument: int = 0
    queries: int = 0
    failed: int = 0

    def add(self, hits: list[str], original: str, instrument: dict[str, tuple[str, str]]) -> None:
        self.queries += 1
        self.top1 += bool(hits) and hits[0] == original
        self.top10 += original in hits[:10]
        self.same_instrument += bool(hits) and instrument.get(hits[0]) == instrument[original]

    def row(self, label: str) -> str:
        n = max(self.queries, 1)
        return (
            f"| {label} | {self.queries} | {self.top1 / n:.1%} | {self.top10 / n:.1%} | "
            f"{self.same_instrument / n:.1%} | {self.failed} |"
        )


def read_devset(tsv: Path) -> list[tuple[str, str, str, str]]:
    rows = [line.rstrip("\n").split("\t") for line in tsv.read_text().splitlines() if line.strip()]
    return [tuple(r[:4]) for r in rows]


def index_devset(rows, data_dir: Path) -> Library:
    settings = Settings(engine=EngineSettings(data_dir=str(data_dir), backends=("builtin",), default_backend="builtin"))
    library = Library(settings)
    roots = sorted({str(Path(path).parent) for path, *_ in rows})
    started = time.perf_counter()
    report = library.scan(roots)
    print(f"indexed {report.indexed} files ({len(report.failed)} failed) in {time.perf_counter() - started:.1f} s")
    return library


def room_scores(library: Library, items, instrument, seed: int, clean: bool) -> dict[str, Score]:
    scores = {}
    for room in ROOMS:
        rng, score = np.random.default_rng(seed), Score()
        for path, audio, rate in items:
            try:
                clip = record_through(audio, rate, room, rng, clean)
                hits = [
                    h.path
                    for h in library.similar(
                        SimilarQuery(clip.audio, k=10, sample_rate=clip.sample_rate, collapse=False)
                    ).hits
                ]
            except SoundalikeError:
                score.failed += 1
                continue
            score.add(hits, path, instrument)
        scores[room.name] = score
    return scores


def loop_scores(library: Library, items, groups, instrument, loops: int, seed: int, folder: Path) -> Score:
    rng, score = np.random.default_rng(seed), Score()
    by_group: dict[str, list] = {}
    for item in items:
        by_group.setdefault(groups[item[0]], []).append(item)
    step = 0.25
    for group, members in sorted(by_group.items()):
        rate = members[0][2]
        for number in range(loops):
            chosen = [members[i] for i in rng.choice(len(members), 8, replace=len(members) < 8)]
            chosen = [c for c in chosen if c[2] == rate]
            loop = np.zeros(int((len(chosen) * step + 1.0) * rate), np.float32)
            for i, (_, audio, _) in enumerate(chosen):
                start = int(i * step * rate)
                loop[start : start + audio.size] += audio[: loop.size - start]
            path = folder / f"{group}-{number}.wav"
            sf.write(path, loop / (np.abs(loop).max() + 1e-9) * 0.9, rate)
            for i, (source, _, _) in enumerate(chosen):
                try:
                    clip = span_of_file(str(path), max(0.0, i * step - 0.03), (i + 1) * step)
                    hits = [
                        h.path
                        for h in library.similar(
                            SimilarQuery(clip.audio, k=10, sample_rate=clip.sample_rate, collapse=False)
                        ).hits
                    ]
                except (SoundalikeError, ValueError):
                    score.failed += 1
                    continue
                score.add(hits, source, instrument)
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", default="/work/data/devset/devset.tsv")
    parser.add_argument("--loops", type=int, default=6, help="loops rendered per kit")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = read_devset(Path(args.devset))
    instrument = {path: (group, name) for path, group, name, _ in rows}
    groups = {path: group for path, group, _, _ in rows}
    with tempfile.TemporaryDirectory() as tmp:
        library = index_devset(rows, Path(tmp) / "lib")
        items = []
        for path, *_ in rows:
            row = library.browse.sample_by_path(path)
            if row is not None and row.status == "ok":
                decoded = decode_file(path)
                items.append((path, decoded.samples, decoded.sample_rate))
        print(f"{len(items)} one-shots decodable\n")
        print("| condition | queries | original top-1 | original in top 10 | top-1 same instrument | failed |")
        print("|---|---|---|---|---|---|")
        started = time.perf_counter()
        for clean in (True, False):
            for label, score in room_scores(library, items, instrument, args.seed, clean).items():
                print(score.row(f"recorded: {label}{'' if clean else ', noise kept (--keep-noise)'}"))
        (Path(tmp) / "loops").mkdir()
        print(
            loop_scores(library, items, groups, instrument, args.loops, args.seed, Path(tmp) / "loops").row(
                f"hit cut from a rendered loop ({args.loops} loops/kit, 8 hits, 120 BPM eighths)"
            )
        )
        print(f"\n({time.perf_counter() - started:.0f} s)")
        library.close()


if __name__ == "__main__":
    main()
