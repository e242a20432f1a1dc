"""What a user's video is, cheaply: container and stream info plus the first decoded frame (to prove it decodes and
to read the display rotation that phones set)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

from generation.errors import AutoSynthDaError
from generation.extract.sources import DEFAULT_FOLDER_FPS, frame_files
from generation.pairs.bank import file_digest


class VideoProbeError(AutoSynthDaError, ValueError):
    """A video that cannot be read (zero bytes, truncated before its first frame, not a video at all)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = " ".join(str(problem).split())  # FFmpeg's reasons can carry newlines; one line
        super().__init__(f"{self.path}: video: {self.problem}")


@dataclass(frozen=True)
class VideoInfo:
    """width, height: of the UPRIGHT picture (after the display rotation). fps: frames per second (frame folders
    store none: DEFAULT_FOLDER_FPS unless given). frames: frames that decode (probe_video: the container's claim, or
    the images of a folder; ingest: what it actually decoded). rotation: display rotation in degrees counter-clockwise
    (0 for frame folders). kind: "video" (a file) or "frames" (a TAO frame folder)."""

    width: int
    height: int
    fps: float
    frames: int
    rotation: int = 0
    kind: str = "video"

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> VideoInfo:
        return cls(int(data["width"]), int(data["height"]), float(data["fps"]), int(data["frames"]),
                   int(data.get("rotation", 0)), str(data.get("kind", "video")))


def _quarter_turns(rotation: float) -> int:
    return int(round(rotation / 90.0)) % 4


def frames_folder(path: Path) -> Path:
    """A TAO frame folder given as <video>/ or <video>/rgb/ -> the folder holding the images."""
    return path / "rgb" if (path / "rgb").is_dir() else path


def source_digest(path: Path) -> str:
    """Content hash of a video file, or of a frame folder's images (names and bytes): what caches key a video by."""
    if path.is_dir():
        digest = hashlib.sha256()
        for file in frame_files(frames_folder(path)):
            digest.update(file.name.encode() + b"\0" + file_digest(file).encode())
        return digest.hexdigest()
    return file_digest(path)


def probe_video(path: str | Path, *, folder_fps: float = DEFAULT_FOLDER_FPS) -> VideoInfo:
    """Probe a video file or a TAO frame folder (<video>/ or <video>/rgb/); VideoProbeError if it is unusable."""
    path = Path(path)
    if path.is_dir():
        return _probe_folder(frames_folder(path), folder_fps)
    if not path.is_file():
        raise VideoProbeError(path, "does not exist")
    if path.stat().st_size == 0:
        raise VideoProbeError(path, "empty file (0 bytes)")
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoProbeError(path, "no video stream in this file")
            stream = container.streams.video[0]
            first = next(iter(container.decode(stream)), None)
            if first is None:
                raise VideoProbeError(path, "no frame decodes (truncated or damaged)")
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else DEFAULT_FOLDER_FPS
            frames = int(stream.frames or 0)
            if not frames and stream.duration and stream.time_base:
                frames = max(1, round(float(stream.duration * stream.time_base) * fps))
            rotation = int(round(getattr(first, "rotation", 0) or 0)) % 360
            width, height = first.width, first.height
    except VideoProbeError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, StopIteration) as exc:
        raise VideoProbeError(path, f"unreadable ({getattr(exc, 'strerror', None) or exc})") from None
    if _quarter_turns(rotation) % 2:
        width, height = height, width
    return VideoInfo(width, height, fps, max(frames, 1), rotation, "video")


def _probe_folder(folder: Path, fps: float) -> VideoInfo:
    from PIL import Image

    files = frame_files(folder) if folder.is_dir() else []
    if not files:
        raise VideoProbeError(folder, "no .jpg/.png frames in this folder")
    try:
        with Image.open(files[0]) as image:
            width, height = image.size
    except OSError as exc:
        raise VideoProbeError(files[0], f"unreadable image ({exc})") from None
    return VideoInfo(width, height, float(fps), len(files), 0, "frames")
