"""Train the built-in backend's learned front end (``engine/embedders/builtin_frames.py``) on log-mel frames.

A small 1-D conv net over the first 1.49 s of log-mel frames, trained with two objectives at once:

* supervised contrastive (temperature 0.1) on the unit-norm embedding, whose positives are sounds of
  the same kind (open and closed hats one kind, as "find similar" treats them) from *another source*
  (a soundfont family, a synthetic kit, a dev kit, a Sonic Pi author, FreePats, Red Zeppelin);
* cross-entropy of a class head on the 12 fine classes (label smoothing 0.1), for the tags.

Batches are class-balanced (a class, then a source kind: real recordings, renders or synthetic kits,
then a clip and one of its variants); on top of the stored recording-chain variants each example gets
a random spectral tilt and level floor, two mel-band masks and a shift of up to 2 frames. Torch is used here
only; the net is exported with batch norm folded into the conv weights, as float16 arrays with the
``frames_`` prefix (``--out``). Everything is seeded; torch runs on ``--threads`` CPU threads.

    .venv/bin/python training/train_frames.py --devset /work/data/devset/devset.tsv --minutes 35
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "training")]

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from frames_data import build_patches, training_clips  # noqa: E402
from torch import nn  # noqa: E402
from train_builtin import load_synth  # noqa: E402

from soundalike.engine.embedders.builtin import RETRIEVAL_CLASS  # noqa: E402
from soundalike.engine.embedders.builtin_frames import PREFIX  # noqa: E402

log = logging.getLogger("train_frames")

CHANNELS = (96, 128, 128, 128)
KERNELS = (3, 3, 3, 3)
EMBED_DIM = 128
N_MELS = 64


class FramesTorch(nn.Module):
    """The runtime net (builtin_frames.FramesNet) in torch, with batch norm after each conv."""

    def __init__(self, n_classes: int):
        super().__init__()
        layers, c_in = [], N_MELS
        for c_out, k in zip(CHANNELS, KERNELS):
            layers.append(nn.ModuleList([nn.Conv1d(c_in, c_out, k, padding=k // 2), nn.BatchNorm1d(c_out)]))
            c_in = c_out
        self.convs = nn.ModuleList(layers)
        self.embed = nn.Linear(2 * c_in, EMBED_DIM)
        self.head = nn.Linear(EMBED_DIM, n_classes)
        self.drop = nn.Dropout(0.2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = x.transpose(1, 2)  # (B, mels, T)
        for conv, norm in self.convs:
            h = F.max_pool1d(F.relu(norm(conv(h))), 2)
        pooled = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)
        embedding = self.embed(pooled)
        return embedding, self.head(self.drop(embedding))


def supcon(z: torch.Tensor, kinds: torch.Tensor, sources: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss; positives share the kind and come from another source."""
    z = F.normalize(z, dim=1)
    logits = z @ z.T / temperature
    eye = torch.eye(len(z), dtype=torch.bool)
    logits = logits.masked_fill(eye, -1e9)
    positive = (kinds[:, None] == kinds[None, :]) & (sources[:, None] != sources[None, :]) & ~eye
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    count = positive.sum(dim=1)
    has = count > 0
    mean_pos = (log_prob * positive).sum(dim=1)[has] / count[has]
    return -mean_pos.mean()


class Sampler:
    """Class-balanced batches: class, then source kind (real / render / synth), then clip and variant."""

    KIND_SHARE = {"real": 0.35, "render": 0.35, "synth": 0.30}

    def __init__(self, fine: np.ndarray, kinds: np.ndarray, n_variants: int, rng: np.random.Generator):
        self.rng, self.n_variants = rng, n_variants
        self.classes = sorted(set(fine))
        self.pools = {(c, k): np.flatnonzero((fine == c) & (kinds == k)) for c in self.classes for k in self.KIND_SHARE}

    def batch(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        rows = np.empty(size, np.int64)
        for i in range(size):
            c = self.classes[self.rng.integers(len(self.classes))]
            options = [(k, s) for k, s in self.KIND_SHARE.items() if len(self.pools[(c, k)])]
            shares = np.array([s for _, s in options])
            kind = options[self.rng.choice(len(options), p=shares / shares.sum())][0]
            pool = self.pools[(c, kind)]
            rows[i] = pool[self.rng.integers(len(pool))]
        return rows, self.rng.integers(self.n_variants, size=size)


def jitter(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Cheap on-the-fly variation of (B, T, mels) patches: tilt, level floor, band masks, a small shift."""
    batch, steps, mels = x.shape
    tilt = (torch.rand(batch, 1, 1, generator=gen) - 0.5) * 0.3 * torch.linspace(-1, 1, mels)[None, None, :]
    x = x + tilt
    floor = 1.0 - torch.rand(batch, 1, 1, generator=gen) * 0.5  # hide what is quieter than 40-80 dB down
    x = torch.maximum(x, -floor)
    for _ in range(2):
        start = torch.randint(0, mels - 6, (batch,), generator=gen)
        width = torch.randint(0, 6, (batch,), generator=gen)
        band = torch.arange(mels)[None, :]
        mask = (band >= start[:, None]) & (band < (start + width)[:, None])
        x = x.masked_fill(mask[:, None, :], -1.0)
    shift = int(torch.randint(0, 3, (1,), generator=gen))
    if shift:
        x = torch.cat([torch.full((batch, shift, mels), -1.0), x[:, :-shift]], dim=1)
    return x


def export(model: FramesTorch, classes: list[str]) -> dict[str, np.ndarray]:
    """Arrays for builtin_frames.FramesNet: conv weights with batch norm folded in, float16 weights."""
    arrays: dict[str, np.ndarray] = {
        f"{PREFIX}n_convs": np.array(len(model.convs)),
        f"{PREFIX}classes": np.array(classes),
    }
    with torch.no_grad():
        for i, (conv, norm) in enumerate(model.convs):
            scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
            arrays[f"{PREFIX}conv{i}_W"] = (conv.weight * scale[:, None, None]).numpy().astype(np.float16)
            arrays[f"{PREFIX}conv{i}_b"] = (
                ((conv.bias - norm.running_mean) * scale + norm.bias).numpy().astype(np.float32)
            )
        for name in ("embed", "head"):
            layer = getattr(model, name)
            arrays[f"{PREFIX}{name}_W"] = layer.weight.numpy().astype(np.float16)
            arrays[f"{PREFIX}{name}_b"] = layer.bias.numpy().astype(np.float32)
    return arrays


def train(data, args) -> dict[str, np.ndarray]:
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    classes = sorted(set(data.fine))
    fine_index = {c: i for i, c in enumerate(classes)}
    kind_names = sorted({RETRIEVAL_CLASS.get(c, c) for c in classes})
    y = torch.tensor([fine_index[c] for c in data.fine])
    kinds = torch.tensor([kind_names.index(RETRIEVAL_CLASS.get(c, c)) for c in data.fine])
    source_ids = {s: i for i, s in enumerate(sorted(set(data.sources)))}
    sources = torch.tensor([source_ids[s] for s in data.sources])
    sampler = Sampler(data.fine, data.kinds, data.frames.shape[1], rng)
    model = FramesTorch(len(classes))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    deadline = time.perf_counter() + 60 * args.minutes
    model.train()
    for step in range(args.steps):
        rows, variants = sampler.batch(args.batch)
        x = jitter(torch.from_numpy(data.frames[rows, variants].astype(np.float32)), gen)
        embedding, logits = model(x)
        ce = F.cross_entropy(logits, y[rows], label_smoothing=0.1)
        con = supcon(embedding, kinds[rows], sources[rows])
        loss = ce + args.supcon * con
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            log.info("step %d/%d  ce %.3f  supcon %.3f", step, args.steps, float(ce), float(con))
        if time.perf_counter() > deadline:
            log.warning("time is up after %d of %d steps", step + 1, args.steps)
            break
    model.eval()
    return export(model, classes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=Path, default=Path("/work/data/renders"))
    parser.add_argument("--devset", type=Path, default=None)
    parser.add_argument("--sonicpi", type=Path, default=Path("/work/data/extra/extra.tsv"))
    parser.add_argument("--cache", type=Path, default=Path("/work/data/frames"))
    parser.add_argument("--out", type=Path, default=Path("/work/data/frames/frames_model.npz"))
    parser.add_argument("--synth-kits", type=int, default=400)
    parser.add_argument("--aug", type=int, default=6, help="augmented variants per rendered / real clip")
    parser.add_argument("--synth-aug", type=int, default=1)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=192)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--supcon", type=float, default=1.0, help="weight of the metric loss")
    parser.add_argument("--minutes", type=float, default=40.0, help="stop training after this long")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(args.threads)
    synth = load_synth(args.synth_kits, args.workers)
    data = build_patches(
        training_clips(args.renders, args.devset, args.sonicpi, synth),
        args.aug,
        args.synth_aug,
        args.seed,
        args.cache,
        args.workers,
    )
    log.info("%d clips x %d variants; classes %s", *data.frames.shape[:2], sorted(set(data.fine)))
    arrays = train(data, args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    log.info("wrote %s (%.0f kB)", args.out, args.out.stat().st_size / 1024)


if __name__ == "__main__":
    mp.set_start_method("fork", force=True)
    main()
