"""A micro action dataset in TAO's layout, small enough for NVIDIA's action_recognition to train on 2 CPU cores in
well under a minute: <root>/<split>/<class>/<video>/rgb/000000.jpg ...

Two classes that a 3D CNN can tell apart from a few frames: "fall" is a bright square moving down, "walk" one moving
right. Test code of AutoSynthDa (fixtures and the real-TAO lane), deterministic for a seed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

from PIL import Image, ImageDraw

CLASSES = ("fall", "walk")


def write_video(folder: Path, label: str, frames: int, size: int, rng: random.Random) -> None:
    rgb = folder / "rgb"
    rgb.mkdir(parents=True, exist_ok=True)
    x, y = rng.randrange(size // 4), rng.randrange(size // 4)
    step = max(1, size // (2 * frames))
    shade = rng.randrange(40, 90)
    for f in range(frames):
        img = Image.new("RGB", (size, size), (shade, shade, shade))
        dx, dy = (0, f * step) if label == "fall" else (f * step, 0)
        side = size // 4
        ImageDraw.Draw(img).rectangle([x + dx, y + dy, x + dx + side, y + dy + side], fill=(230, 230, 230))
        img.save(rgb / f"{f:06d}.jpg", quality=90)


def write_split(root: Path, videos: Mapping[str, int], *, frames: int = 4, size: int = 64, seed: int = 0) -> Path:
    rng = random.Random(f"{seed}/{root.name}")
    for label, count in videos.items():
        for i in range(count):
            write_video(root / label / f"{label}_{i:02d}", label, frames, size, rng)
    return root


def write_dataset(root: Path, *, train: int = 4, val: int = 2, test: int = 3, frames: int = 4, size: int = 64,
                  seed: int = 0) -> dict[str, Path]:
    """train/val/test splits with that many videos per class; returns {split: folder}."""
    counts = {"train": train, "val": val, "test": test}
    return {split: write_split(root / split, dict.fromkeys(CLASSES, n), frames=frames, size=size, seed=seed)
            for split, n in counts.items()}


LABEL_MAP = {c: i for i, c in enumerate(CLASSES)}
