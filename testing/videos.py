"""Small videos for tests, written and read with PyAV: any frames as a video file, and a video's frames letterboxed
into a study's square frames (the FrameGeometry policy)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from generation.videos.geometry import FrameGeometry


def write_video(
    path: Path, frames: np.ndarray | Sequence[np.ndarray], fps: float = 30, *, codec: str = "libx264",
    rotation: int = 0, fmt: str | None = None,
) -> Path:
    """(T, H, W, 3) uint8 RGB frames -> a video file. rotation: display rotation in degrees (a phone's portrait clip);
    fmt: the container when the suffix does not say it. The header is written even when no frame follows."""
    import av

    frames = np.asarray(frames)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        container.start_encoding()
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def letterboxed(path: Path, size: int) -> tuple[np.ndarray, FrameGeometry]:
    """All frames of a video, letterboxed into size x size (bilinear), and the geometry used."""
    import av
    from PIL import Image

    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    height, width = frames[0].shape[:2]
    geometry = FrameGeometry((width, height), size)
    x0, y0, w, h = geometry.content
    out = np.zeros((len(frames), size, size, 3), np.uint8)
    for i, frame in enumerate(frames):
        out[i, y0:y0 + h, x0:x0 + w] = np.asarray(Image.fromarray(frame).resize((w, h), Image.BILINEAR))
    return out, geometry
