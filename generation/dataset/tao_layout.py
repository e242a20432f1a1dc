"""A checker of the rules TAO action_recognition applies to a dataset root (see TAO.md), run before any launch."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from generation.errors import AutoSynthDaError
from generation.partials import INCOMPLETE

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")
_DIGITS = re.compile(r"^(\d+)$")


class LayoutError(AutoSynthDaError, ValueError):
    """A dataset root TAO would reject or silently misread."""


@dataclass(frozen=True)
class LayoutReport:
    root: Path
    videos_per_class: dict[str, int]
    min_frames: int

    @property
    def num_videos(self) -> int:
        return sum(self.videos_per_class.values())


def check_tao_layout(
    root: str | Path,
    label_map: Iterable[str],
    *,
    rgb_seq_length: int = 3,
    batch_size: int = 1,
    open_frames: bool = True,
) -> LayoutReport:
    """Raise LayoutError (naming the path) unless root is <root>/<class>/<video>/rgb/<zero-padded frames>.

    Rules: class folders are exactly the label map's keys; every video has rgb/ with frames named by zero-padded
    indices of one width, contiguous from 0 (TAO reads sorted(os.listdir())); at least rgb_seq_length frames per video;
    at least batch_size videos in the root; frames are images PIL opens, all of one size within a video.
    """
    root = Path(root)
    if not root.is_dir():
        raise LayoutError(f"{root}: dataset root: does not exist")
    if (root / INCOMPLETE).exists():
        raise LayoutError(f"{root}: dataset root: {INCOMPLETE}: a command filling it was killed; rerun it")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    expected = sorted(label_map)
    if classes != expected:
        missing = sorted(set(expected) - set(classes))
        extra = sorted(set(classes) - set(expected))
        raise LayoutError(f"{root}: class folders: missing {missing}, not in label map {extra}")
    videos_per_class: dict[str, int] = {}
    min_frames = None
    for label in classes:
        videos = sorted(p for p in (root / label).iterdir() if p.is_dir())
        videos_per_class[label] = len(videos)
        for video in videos:
            count = _check_video(video, rgb_seq_length, open_frames)
            min_frames = count if min_frames is None else min(min_frames, count)
    total = sum(videos_per_class.values())
    if total < batch_size:
        raise LayoutError(f"{root}: videos: {total} videos is smaller than the batch size {batch_size}")
    return LayoutReport(root, videos_per_class, min_frames or 0)


def _check_video(video: Path, rgb_seq_length: int, open_frames: bool) -> int:
    rgb = video / "rgb"
    if not rgb.is_dir():
        raise LayoutError(f"{video}: rgb: missing frame folder")
    names = sorted(p.name for p in rgb.iterdir())
    stems = []
    for name in names:
        stem, suffix = Path(name).stem, Path(name).suffix.lower()
        if suffix not in FRAME_SUFFIXES or not _DIGITS.match(stem):
            raise LayoutError(f"{rgb / name}: frame name: expected a zero-padded index with {FRAME_SUFFIXES}")
        stems.append(stem)
    if len({len(s) for s in stems}) > 1:
        raise LayoutError(f"{rgb}: frame names: mixed widths, so sorted order is not frame order")
    indices = [int(s) for s in stems]
    if indices != list(range(len(indices))):
        raise LayoutError(f"{rgb}: frame names: not contiguous from 0")
    if len(indices) < rgb_seq_length:
        raise LayoutError(f"{rgb}: frames: {len(indices)} frames, fewer than rgb_seq_length {rgb_seq_length}")
    if open_frames and names:
        sizes = set()
        for name in (names[0], names[-1]):
            try:
                with Image.open(rgb / name) as img:
                    img.verify()
                with Image.open(rgb / name) as img:
                    sizes.add(img.size)
            except Exception as exc:  # PIL raises many types for broken files
                raise LayoutError(f"{rgb / name}: image: not readable ({exc})") from None
        if len(sizes) > 1:
            raise LayoutError(f"{rgb}: frame size: differs within the video {sorted(sizes)}")
    return len(indices)
