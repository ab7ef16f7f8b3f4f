"""Procedural drum kits: randomised analogue-style and physically-inspired voices for every class.

Soundfont kits are few and share samples, so the learned metric also sees synthetic kits. Each
kit draws one "character" (saturation, tilt, room, band limit) shared by all its voices, the way a
real kit or sample pack is recorded and processed as a whole, and one parameter set per voice,
played at a few velocities (velocity changes brightness and decay a little, as on real drums).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.signal
from render_kits import SR

VOICES = ("kick", "snare", "clap", "closed_hat", "open_hat", "tom", "cymbal", "rim", "shaker", "bell", "hand")


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SR)) / SR


def _env(t: np.ndarray, decay: float, attack: float = 0.0005) -> np.ndarray:
    """Linear attack, exponential decay to -60 dB after ``decay`` seconds."""
    rise = np.clip(t / max(attack, 1e-5), 0.0, 1.0)
    return rise * np.exp(-6.9 * t / decay)


def _band(x: np.ndarray, lo: float, hi: float, order: int = 2) -> np.ndarray:
    lo, hi = max(lo, 20.0), min(hi, SR / 2 - 200)
    if hi <= lo * 1.05:
        hi = min(lo * 1.5, SR / 2 - 100)
    sos = scipy.signal.butter(order, [lo / (SR / 2), hi / (SR / 2)], btype="band", output="sos")
    return scipy.signal.sosfilt(sos, x)


def _high(x: np.ndarray, cutoff: float, order: int = 2) -> np.ndarray:
    sos = scipy.signal.butter(order, min(cutoff, SR / 2 - 500) / (SR / 2), btype="high", output="sos")
    return scipy.signal.sosfilt(sos, x)


def _sweep_sine(t: np.ndarray, f_start: float, f_end: float, sweep: float, phase: float = 0.0) -> np.ndarray:
    freq = f_end + (f_start - f_end) * np.exp(-t / sweep)
    return np.sin(2 * np.pi * np.cumsum(freq) / SR + phase)


def _norm(x: np.ndarray) -> np.ndarray:
    return (x / (np.abs(x).max() + 1e-9)).astype(np.float32)


def _metal(t: np.ndarray, rng: np.random.Generator, base: float) -> np.ndarray:
    """808-style metallic noise: six detuned square waves at inharmonic ratios."""
    ratios = np.array([1.0, 1.4471, 1.6170, 1.9265, 2.5028, 2.6637]) * rng.uniform(0.9, 1.1, 6)
    phases = rng.uniform(0, 1, 6)
    return np.sign(np.sin(2 * np.pi * (base * ratios[:, None] * t[None, :] + phases[:, None]))).sum(axis=0)


def kick(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(p["decay"] * 1.3 + 0.05)
    body = _sweep_sine(t, p["f0"] * p["ratio"], p["f0"], p["sweep"]) * _env(t, p["decay"])
    click = _high(rng.standard_normal(len(t)), p["click_hp"]) * _env(t, p["click_decay"])
    return body + p["click"] * click


def tom(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(p["decay"] * 1.3 + 0.05)
    body = _sweep_sine(t, p["f0"] * p["ratio"], p["f0"], p["sweep"]) * _env(t, p["decay"])
    for mult, level in ((1.5 + rng.uniform(0, 0.2), p["modes"]), (2.2 + rng.uniform(0, 0.3), p["modes"] / 2)):
        body += level * np.sin(2 * np.pi * p["f0"] * mult * t) * _env(t, p["decay"] / 3)
    stick = _band(rng.standard_normal(len(t)), 1000, 6000) * _env(t, 0.02)
    return body + p["click"] * stick


def snare(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(max(p["decay"], p["tone_decay"]) * 1.3 + 0.05)
    tone = (np.sin(2 * np.pi * p["f0"] * t) + 0.6 * np.sin(2 * np.pi * p["f0"] * 1.62 * t)) * _env(t, p["tone_decay"])
    noise = _band(rng.standard_normal(len(t)), p["noise_lo"], p["noise_hi"]) * _env(t, p["decay"])
    return p["tone"] * _norm(tone) + _norm(noise)


def clap(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(p["decay"] * 1.3 + 0.08)
    gate = np.zeros(len(t))
    for k in range(p["bursts"]):
        start = k * p["spacing"]
        gate += (t >= start) * np.exp(-(t - start).clip(0) / 0.004)
    gate += (
        0.6 * (t >= p["bursts"] * p["spacing"]) * np.exp(-6.9 * (t - p["bursts"] * p["spacing"]).clip(0) / p["decay"])
    )
    noise = _band(rng.standard_normal(len(t)), p["centre"] / 1.6, p["centre"] * 1.6)
    return noise * gate


def _hat(p: dict, rng: np.random.Generator, decay: float) -> np.ndarray:
    t = _t(decay * 1.3 + 0.03)
    source = _metal(t, rng, p["base"]) * p["metal"] + rng.standard_normal(len(t)) * 3 * (1 - p["metal"])
    return _high(_band(source, p["hp"], 10500), p["hp"]) * _env(t, decay, p["attack"])


def closed_hat(p: dict, rng: np.random.Generator) -> np.ndarray:
    return _hat(p, rng, p["decay_closed"])


def open_hat(p: dict, rng: np.random.Generator) -> np.ndarray:
    return _hat(p, rng, p["decay_open"])


def cymbal(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(min(p["decay"], 2.6) + 0.2)
    freqs = p["base"] * np.exp(rng.uniform(0, np.log(30), 60))
    freqs = freqs[freqs < 10500]
    partials = np.sin(2 * np.pi * freqs[:, None] * t[None, :] + rng.uniform(0, 6.3, (len(freqs), 1)))
    decays = p["decay"] * rng.uniform(0.3, 1.0, (len(freqs), 1))
    shimmer = (partials * np.exp(-6.9 * t[None, :] / decays)).sum(axis=0)
    wash = _high(rng.standard_normal(len(t)), p["hp"]) * _env(t, p["decay"] * 0.8, p["attack"])
    bell = np.sin(2 * np.pi * p["bell_f"] * t) * _env(t, p["decay"] * 0.6) * p["bell"]
    return _high(_norm(shimmer) * p["shimmer"] + _norm(wash), p["hp"] / 2) + bell


def rim(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(p["decay"] * 1.3 + 0.03)
    tone = np.sin(2 * np.pi * p["f0"] * t) * _env(t, p["decay"])
    knock = _band(rng.standard_normal(len(t)), p["f0"] * 0.7, p["f0"] * 3) * _env(t, p["decay"] / 2)
    click = _high(rng.standard_normal(len(t)), 2000) * _env(t, 0.003)
    return p["tone"] * tone + (1 - p["tone"]) * _norm(knock) + 0.5 * click


def shaker(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(p["attack"] + p["decay"] + 0.05)
    noise = _band(rng.standard_normal(len(t)), p["lo"], min(p["lo"] * 4, 10000), order=3)
    return noise * _env(t, p["decay"], p["attack"])


def bell(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(p["decay"] * 1.3 + 0.03)
    square = lambda f: np.sign(np.sin(2 * np.pi * f * t))  # noqa: E731
    tone = (
        square(p["f0"]) + square(p["f0"] * p["ratio"])
        if p["square"]
        else (np.sin(2 * np.pi * p["f0"] * t) + 0.7 * np.sin(2 * np.pi * p["f0"] * p["ratio"] * t))
    )
    return _band(tone, p["f0"] * 0.6, p["f0"] * 4) * _env(t, p["decay"])


def hand(p: dict, rng: np.random.Generator) -> np.ndarray:
    t = _t(p["decay"] * 1.3 + 0.03)
    body = _sweep_sine(t, p["f0"] * 1.08, p["f0"], 0.02) + p["overtone"] * np.sin(2 * np.pi * p["f0"] * 2.1 * t)
    slap = _band(rng.standard_normal(len(t)), 800, 5000) * _env(t, p["slap_decay"])
    return body * _env(t, p["decay"], 0.001) + p["slap"] * slap


def voice_params(voice: str, rng: np.random.Generator) -> dict:
    u, lu = rng.uniform, lambda a, b: float(np.exp(rng.uniform(np.log(a), np.log(b))))
    table = {
        "kick": lambda: dict(
            f0=lu(38, 75),
            ratio=lu(1.5, 6),
            sweep=lu(0.008, 0.06),
            decay=lu(0.12, 1.2),
            click=lu(0.02, 0.8),
            click_hp=lu(1000, 6000),
            click_decay=lu(0.002, 0.012),
        ),
        "tom": lambda: dict(
            f0=lu(75, 330),
            ratio=lu(1.05, 1.8),
            sweep=lu(0.01, 0.08),
            decay=lu(0.12, 1.5),
            modes=u(0, 0.5),
            click=lu(0.01, 0.4),
        ),
        "snare": lambda: dict(
            f0=lu(140, 320),
            tone=lu(0.1, 1.5),
            tone_decay=lu(0.04, 0.2),
            decay=lu(0.08, 0.6),
            noise_lo=lu(200, 2500),
            noise_hi=lu(4000, 10500),
        ),
        "clap": lambda: dict(
            bursts=int(rng.integers(2, 6)), spacing=lu(0.006, 0.018), decay=lu(0.08, 0.5), centre=lu(700, 2500)
        ),
        "closed_hat": None,
        "open_hat": None,
        "cymbal": lambda: dict(
            base=lu(250, 800),
            decay=lu(0.8, 4.0),
            hp=lu(2000, 7000),
            attack=lu(0.0005, 0.02),
            shimmer=u(0.2, 1.5),
            bell=u(0, 0.4) * (rng.random() < 0.4),
            bell_f=lu(600, 2000),
        ),
        "rim": lambda: dict(f0=lu(350, 2600), decay=lu(0.015, 0.09), tone=u(0.1, 0.9)),
        "shaker": lambda: dict(lo=lu(2000, 6000), attack=lu(0.005, 0.05), decay=lu(0.04, 0.25)),
        "bell": lambda: dict(f0=lu(380, 900), ratio=u(1.4, 1.6), decay=lu(0.08, 0.6), square=bool(rng.random() < 0.6)),
        "hand": lambda: dict(
            f0=lu(140, 500), decay=lu(0.08, 0.5), overtone=u(0, 0.4), slap=lu(0.02, 0.6), slap_decay=lu(0.005, 0.03)
        ),
    }
    if voice in ("closed_hat", "open_hat"):
        return dict(
            base=lu(250, 600),
            metal=u(0, 1),
            hp=lu(4000, 9000),
            attack=lu(0.0003, 0.003),
            decay_closed=lu(0.03, 0.12),
            decay_open=lu(0.25, 1.2),
        )
    return table[voice]()


def _velocity(x: np.ndarray, velocity: float) -> np.ndarray:
    """Softer hits are darker and a little shorter."""
    b, a = scipy.signal.butter(1, min(2000 + 8000 * velocity, SR / 2 - 100) / (SR / 2))
    soft = scipy.signal.lfilter(b, a, x)
    t = np.arange(len(x)) / SR
    return (velocity * x + (1 - velocity) * soft) * np.exp(-t * (1 - velocity) * 2)


@dataclass(frozen=True)
class Character:
    drive: float
    tilt: float
    room: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Character:
        return cls(
            drive=float(rng.choice([0.0, rng.uniform(1, 5)], p=[0.6, 0.4])),
            tilt=float(rng.uniform(-0.5, 0.5)),
            room=float(rng.choice([0.0, rng.uniform(0.03, 0.2)], p=[0.6, 0.4])),
        )

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = _norm(x)
        if self.drive:
            x = np.tanh(self.drive * x) / np.tanh(self.drive)
        b, a = scipy.signal.butter(1, 1500 / (SR / 2))
        low = scipy.signal.lfilter(b, a, x)
        x = low * (1 - self.tilt) + (x - low) * (1 + self.tilt)
        if self.room:
            t = _t(0.4)
            ir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / 0.4)
            wet = _norm(scipy.signal.fftconvolve(x, ir))
            x = np.pad(x, (0, len(wet) - len(x))) + self.room * wet
        return _norm(x)


def synth_kit(seed: int, velocities=(0.5, 0.8, 1.0)) -> tuple[list[np.ndarray], list[str]]:
    """One synthetic kit: every voice at each velocity, processed by one kit character."""
    rng = np.random.default_rng([7, seed])
    character = Character.draw(rng)
    clips, labels = [], []
    shared_hat = voice_params("closed_hat", rng)  # open and closed hats of a kit share their metal
    for voice in VOICES:
        params = shared_hat if voice.endswith("hat") else voice_params(voice, rng)
        for velocity in velocities:
            raw = globals()[voice](params, rng)
            clips.append(character.apply(_velocity(raw, velocity), rng))
            labels.append(voice)
    return clips, labels
