"""Read one split of a TAO-layout dataset into memory as small fixed-length clips.

Each video is sampled at `frames * pool` positions spread evenly over the clip (segment centres; a clip shorter than
that repeats frames), decoded with PIL, resized to size x size and kept as uint8 (N, 3, K, H, W): four times smaller
than float, and the float batch is made on the fly. With pool > 1, a training batch takes every pool-th of those
frames from a random start (a temporal jitter that costs no further decoding); evaluation takes the middle ones.
Nothing is cached on disk.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from generation.dataset.tao_layout import FRAME_SUFFIXES
from optimizer.scoring.protocol import ScoringError

MEAN = 0.5
STD = 0.5


@dataclass(frozen=True)
class VideoRef:
    rgb: Path
    label: int
    frames: tuple[Path, ...]


@dataclass
class VideoSplit:
    """A split in memory: clips uint8 (N, 3, frames * pool, H, W), labels int64 (N,), one name per video."""

    clips: torch.Tensor
    labels: torch.Tensor
    names: list[str]
    frames: int
    pool: int

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def batch(
        self, index: torch.Tensor | Sequence[int], *, generator: torch.Generator | None = None, augment: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Float (B, 3, frames, H, W) normalised to mean/std 0.5 and the labels. augment: a random temporal start (when
        pool > 1) and a random horizontal flip per clip, both drawn from generator."""
        index = torch.as_tensor(index, dtype=torch.long)
        clips = self.clips[index]
        b = clips.shape[0]
        if self.pool > 1:
            if augment:
                start = torch.randint(0, self.pool, (b,), generator=generator)
            else:
                start = torch.full((b,), self.pool // 2, dtype=torch.long)
            t = start[:, None] + self.pool * torch.arange(self.frames)[None, :]  # (B, frames)
            gather = t[:, None, :, None, None].expand(b, 3, self.frames, *clips.shape[-2:])
            clips = torch.gather(clips, 2, gather)
        x = clips.float().div_(255.0).sub_(MEAN).div_(STD)
        if augment:
            # Left/right mirroring keeps every action of this task what it is (a punch with the other arm is a punch).
            flip = torch.rand(b, generator=generator) < 0.5
            if flip.any():
                x[flip] = x[flip].flip(-1)
        return x, self.labels[index]


def sample_positions(length: int, count: int) -> np.ndarray:
    """`count` frame indices at the centres of `count` equal segments of a `length`-frame clip (repeats when short)."""
    return np.minimum(((np.arange(count) + 0.5) * length / count).astype(np.int64), length - 1)


def list_videos(split_dir: str | Path, label_map: dict[str, int]) -> list[VideoRef]:
    """Every <class>/<video>/rgb of a split, in a fixed order. Raises ScoringError (naming the path) when the split is
    missing or holds no video, a class folder is not in the label map, or a video has no frames."""
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise ScoringError(f"{split_dir}: split folder: does not exist")
    refs: list[VideoRef] = []
    for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir()):
        if class_dir.name not in label_map:
            raise ScoringError(f"{class_dir}: class folder: {class_dir.name!r} is not in the label map")
        for video in sorted(p for p in class_dir.iterdir() if p.is_dir()):
            rgb = video / "rgb"
            frames = sorted(p for p in rgb.iterdir() if p.suffix.lower() in FRAME_SUFFIXES) if rgb.is_dir() else []
            if not frames:
                raise ScoringError(f"{rgb}: frames: no {'/'.join(FRAME_SUFFIXES)} frames")
            refs.append(VideoRef(rgb, label_map[class_dir.name], tuple(frames)))
    if not refs:
        raise ScoringError(f"{split_dir}: split folder: holds no videos")
    return refs


def _decode(path: Path, size: int) -> np.ndarray:
    try:
        with Image.open(path) as img:
            img.draft("RGB", (size, size))  # JPEG: decode at a reduced scale when the frame is much larger
            img = img.convert("RGB")
            if img.size != (size, size):
                img = img.resize((size, size), Image.BILINEAR)
            return np.asarray(img)
    except OSError as exc:
        raise ScoringError(f"{path}: frame: not readable ({' '.join(str(exc).split())})") from None


def _load_video(ref: VideoRef, positions: int, size: int) -> np.ndarray:
    picked = sample_positions(len(ref.frames), positions)
    decoded: dict[int, np.ndarray] = {}
    out = np.empty((positions, size, size, 3), dtype=np.uint8)
    for i, p in enumerate(picked):
        if p not in decoded:  # short clips repeat frames: decode each once
            decoded[p] = _decode(ref.frames[p], size)
        out[i] = decoded[p]
    return out


def load_split(
    split_dir: str | Path,
    label_map: dict[str, int],
    *,
    frames: int = 16,
    size: int = 64,
    pool: int = 1,
    threads: int | None = None,
) -> VideoSplit:
    """Read a split (see the module docstring). threads: decoding threads (PIL releases the GIL while decoding)."""
    if frames < 1 or size < 8 or pool < 1:
        raise ScoringError(f"frames/size/pool: need frames >= 1, size >= 8, pool >= 1; got {frames}, {size}, {pool}")
    refs = list_videos(split_dir, label_map)
    workers = threads or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool_exec:
        videos = list(pool_exec.map(lambda r: _load_video(r, frames * pool, size), refs))
    clips = torch.from_numpy(np.stack(videos)).permute(0, 4, 1, 2, 3).contiguous()  # (N, 3, K, H, W)
    labels = torch.tensor([r.label for r in refs], dtype=torch.long)
    names = [f"{r.rgb.parent.parent.name}/{r.rgb.parent.name}" for r in refs]
    return VideoSplit(clips, labels, names, frames, pool)
