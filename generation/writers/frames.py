"""Clips as TAO action_recognition frame folders: <clip_dir>/rgb/000000.jpg, 000001.jpg, ...

TAO reads a clip's frames in sorted(os.listdir()) order with PIL, so names are zero-padded to a fixed width and
the writer refuses a start_index/digits pair whose names would stop sorting in frame order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from generation.atomic import atomic_dir, check_writable_dir
from generation.writers._arrays import as_frames
from generation.writers.errors import WriterError

FRAME_FORMATS: dict[str, str] = {"jpg": "JPEG", "png": "PNG"}
RGB_SUBDIR = "rgb"
# zlib level 1, not Pillow's 6: on gradient-rich 224x224 frames level 6 encodes ~4x slower for files ~25%
# smaller; on flat-background renders it costs ~10% more time for files ~3x smaller. Level 1 bounds the worst case.
PNG_COMPRESS_LEVEL = 1


def default_workers() -> int:
    """Threads for write_frame_folders: one per usable core.

    PIL's encoders release the GIL, so threads scale with cores: on 2 cores, 2 threads wrote 224x224 frames
    1.6x (JPEG) and 2.0x (PNG) faster than 1; 4 threads were no faster.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class FrameOptions:
    """Validated encoding and naming options shared by every frame of a write."""

    fmt: str = "jpg"
    quality: int = 95
    start_index: int = 0
    digits: int = 6
    png_compress_level: int = PNG_COMPRESS_LEVEL

    @classmethod
    def checked(cls, where: str | Path | None, **kwargs: Any) -> FrameOptions:
        opts = cls(**kwargs)
        if opts.fmt not in FRAME_FORMATS:
            known = ", ".join(FRAME_FORMATS)
            raise WriterError(where, "fmt", f"unknown frame format {opts.fmt!r} (known: {known})")
        if not 1 <= opts.quality <= 100:
            raise WriterError(where, "quality", f"{opts.quality} is outside 1..100")
        if opts.start_index < 0:
            raise WriterError(where, "start_index", f"{opts.start_index} is negative")
        if not 1 <= opts.digits <= 12:
            raise WriterError(where, "digits", f"{opts.digits} is outside 1..12")
        if not 0 <= opts.png_compress_level <= 9:
            raise WriterError(where, "png_compress_level", f"{opts.png_compress_level} is outside 0..9")
        return opts

    def names(self, count: int, where: str | Path | None) -> list[str]:
        last = self.start_index + count - 1
        if last >= 10**self.digits:
            # 1000000.jpg sorts before 999999.jpg: TAO would read the frames out of order.
            raise WriterError(where, "digits", f"frame index {last} needs more than {self.digits} digits")
        return [f"{i:0{self.digits}d}.{self.fmt}" for i in range(self.start_index, last + 1)]

    def save(self, frame: np.ndarray, path: Path) -> None:
        image = Image.fromarray(np.ascontiguousarray(frame))  # uint8 (H, W, 3) -> RGB
        if self.fmt == "jpg":
            image.save(path, "JPEG", quality=self.quality)
        else:
            image.save(path, "PNG", compress_level=self.png_compress_level)


def _write_clip(frames: np.ndarray, clip_dir: Path, opts: FrameOptions, names: list[str]) -> Path:
    with atomic_dir(clip_dir) as tmp:
        rgb = tmp / RGB_SUBDIR
        rgb.mkdir()
        for index, (frame, name) in enumerate(zip(frames, names)):
            try:
                opts.save(frame, rgb / name)
            except WriterError:
                raise
            except OSError as exc:
                raise WriterError(clip_dir, f"frame {index}", exc.strerror or str(exc)) from exc
    return clip_dir


def write_frame_folder(
    frames: Any,
    clip_dir: str | Path,
    *,
    fmt: str = "jpg",
    quality: int = 95,
    start_index: int = 0,
    digits: int = 6,
    png_compress_level: int = PNG_COMPRESS_LEVEL,
) -> Path:
    """Write one (T, H, W, 3) uint8 clip as clip_dir/rgb/<index>.<fmt>; an existing clip_dir is replaced whole.

    The clip is built in a hidden sibling folder and renamed into place, so clip_dir is never partial.
    """
    clip_dir = Path(clip_dir)
    opts = FrameOptions.checked(
        clip_dir, fmt=fmt, quality=quality, start_index=start_index, digits=digits,
        png_compress_level=png_compress_level,
    )
    arr = as_frames(frames, clip_dir)
    names = opts.names(len(arr), clip_dir)
    check_writable_dir(clip_dir.parent)
    return _write_clip(arr, clip_dir, opts, names)


def write_frame_folders(
    clips: Iterable[tuple[Any, str | Path]],
    *,
    fmt: str = "jpg",
    quality: int = 95,
    start_index: int = 0,
    digits: int = 6,
    png_compress_level: int = PNG_COMPRESS_LEVEL,
    workers: int | None = None,
) -> list[Path]:
    """Write many (frames, clip_dir) clips, one clip per thread; returns the clip dirs in input order.

    Everything is validated (frames, options, duplicate targets, writable parents) before the first frame is
    encoded. On the first failure clips not yet started are cancelled and those in flight finish or clean up,
    so every clip_dir is either complete or untouched; that first error is then raised.
    """
    opts = FrameOptions.checked(
        None, fmt=fmt, quality=quality, start_index=start_index, digits=digits,
        png_compress_level=png_compress_level,
    )
    n_workers = default_workers() if workers is None else workers
    if n_workers < 1:
        raise WriterError(None, "workers", f"{n_workers} is less than 1")
    jobs: list[tuple[np.ndarray, Path, list[str]]] = []
    seen: dict[Path, int] = {}
    for i, (frames, clip_dir) in enumerate(clips):
        clip_dir = Path(clip_dir)
        key = Path(os.path.abspath(clip_dir))
        if key in seen:
            raise WriterError(clip_dir, "clip_dir", f"given twice (clips {seen[key]} and {i})")
        seen[key] = i
        arr = as_frames(frames, clip_dir)
        jobs.append((arr, clip_dir, opts.names(len(arr), clip_dir)))
    for parent in dict.fromkeys(clip_dir.parent for _, clip_dir, _ in jobs):
        check_writable_dir(parent)

    n_workers = min(n_workers, len(jobs))
    if n_workers <= 1:
        return [_write_clip(arr, clip_dir, opts, names) for arr, clip_dir, names in jobs]

    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="frame-writer") as pool:
        futures = [pool.submit(_write_clip, arr, clip_dir, opts, names) for arr, clip_dir, names in jobs]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        except BaseException:  # Ctrl-C: start no queued clip; running ones finish whole
            for f in futures:
                f.cancel()
            raise
        failed = [f for f in futures if f in done and f.exception() is not None]
        if failed:
            for f in futures:
                f.cancel()
            wait(futures)
            raise failed[0].exception()  # type: ignore[misc]
    return [f.result() for f in futures]
