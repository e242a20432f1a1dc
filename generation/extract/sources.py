"""Finding the user's videos (<class>/<video>.mp4|avi|mov|mkv|webm and TAO frame folders <class>/<video>/rgb/*.jpg|png)
and reading their frames as RGB arrays."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generation.errors import PoseDataError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
# TAO frame folders carry no frame rate; TAO's own default for action recognition clips.
DEFAULT_FOLDER_FPS = 30.0


@dataclass(frozen=True)
class VideoSource:
    """One input video. path: the video file, or the <video>/rgb folder of a TAO frame folder. label: its class
    folder. name: the video's name (file stem, or the folder above rgb/)."""

    path: Path
    label: str
    name: str
    kind: str  # "video" or "frames"


def _visible_sorted(folder: Path) -> list[Path]:
    # Dot names are other tools' temporaries (ours too, see generation.atomic), never user videos.
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def find_videos(root: str | Path) -> list[VideoSource]:
    """Every video under root/<class>/, sorted by class then name."""
    root = Path(root)
    if not root.is_dir():
        raise PoseDataError(root, "path", "does not exist or is not a folder")
    found: list[VideoSource] = []
    for class_dir in _visible_sorted(root):
        if not class_dir.is_dir():
            continue
        for entry in _visible_sorted(class_dir):
            if entry.is_file() and entry.suffix.lower() in VIDEO_SUFFIXES:
                found.append(VideoSource(entry, class_dir.name, entry.stem, "video"))
            elif entry.is_dir() and (entry / "rgb").is_dir():
                found.append(VideoSource(entry / "rgb", class_dir.name, entry.name, "frames"))
    if not found:
        raise PoseDataError(
            root, "path",
            f"no videos found (expected <class>/<video>{'|'.join(VIDEO_SUFFIXES)} or <class>/<video>/rgb/*.jpg|png)",
        )
    return found


def _natural_key(path: Path) -> list[int | str]:
    # frame_2 before frame_10 when a tool did not zero-pad.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def frame_files(folder: Path) -> list[Path]:
    images = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")]
    return sorted((p for p in images if p.is_file()), key=_natural_key)


def upright(image: np.ndarray, rotation: float) -> np.ndarray:
    """Apply a video's display rotation (degrees counter-clockwise, as FFmpeg reports it): phones store portrait
    clips as rotated landscape frames, and a pose detector sees a lying person in them."""
    quarter = int(round(rotation / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(image, k=quarter)) if quarter else image


def _video_frames(path: Path, max_frames: int | None) -> tuple[float, Iterator[np.ndarray]]:
    import av

    container = av.open(str(path))
    try:
        if not container.streams.video:
            raise PoseDataError(path, "video", "no video stream in this file")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else DEFAULT_FOLDER_FPS
    except BaseException:
        container.close()
        raise

    def frames() -> Iterator[np.ndarray]:
        try:
            for i, frame in enumerate(container.decode(stream)):
                if max_frames is not None and i >= max_frames:
                    break
                yield upright(frame.to_ndarray(format="rgb24"), getattr(frame, "rotation", 0) or 0)
        finally:
            container.close()

    return fps, frames()


def _folder_frames(folder: Path, max_frames: int | None, fps: float) -> tuple[float, Iterator[np.ndarray]]:
    from PIL import Image

    files = frame_files(folder)
    if max_frames is not None:
        files = files[:max_frames]

    def frames() -> Iterator[np.ndarray]:
        for file in files:
            try:
                with Image.open(file) as image:
                    yield np.asarray(image.convert("RGB"))
            except OSError as exc:  # PIL's UnidentifiedImageError is an OSError
                raise PoseDataError(file, "frame", f"unreadable image ({exc})") from None

    return fps, frames()


def open_frames(
    source: VideoSource, *, max_frames: int | None = None, folder_fps: float = DEFAULT_FOLDER_FPS
) -> tuple[float, Iterator[np.ndarray]]:
    """(fps, iterator of (H, W, 3) uint8 RGB frames), at most max_frames of them."""
    if source.kind == "frames":
        return _folder_frames(source.path, max_frames, folder_fps)
    return _video_frames(source.path, max_frames)
