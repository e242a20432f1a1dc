"""Clips as H.264 mp4 files (for previews and review, not for TAO training, which reads frame folders)."""

from __future__ import annotations

import functools
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from generation.atomic import atomic_file, check_writable_dir
from generation.writers._arrays import as_frames
from generation.writers.errors import WriterError

# Preference order: libx264 honours crf; 'h264' is FFmpeg's alias for whichever H.264 encoder it was built with;
# mpeg4 (part 2) ships in every FFmpeg build, so a write never fails for want of an encoder.
ENCODER_PREFERENCE = ("libx264", "h264", "mpeg4")


@functools.cache
def mp4_encoder() -> str:
    """The encoder write_mp4 uses in this PyAV build (warns once when it is not libx264)."""
    import av

    for name in ENCODER_PREFERENCE:
        try:
            codec = av.codec.Codec(name, "w")
        except Exception:  # PyAV raises UnknownCodecError / ValueError depending on version
            continue
        if codec.name != "libx264":
            warnings.warn(
                f"PyAV has no libx264 encoder; mp4 files use {codec.name!r} and crf is approximated",
                RuntimeWarning,
                stacklevel=2,
            )
        return name
    raise WriterError(None, "mp4 encoder", f"PyAV {av.__version__} has none of {', '.join(ENCODER_PREFERENCE)}")


def _even(frames: np.ndarray) -> np.ndarray:
    """Pad right/bottom by one replicated pixel where needed: yuv420p halves chroma, so sizes must be even."""
    _, h, w, _ = frames.shape
    pad_h, pad_w = h % 2, w % 2
    if not (pad_h or pad_w):
        return frames
    return np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")


def _rate(fps: float | Fraction, path: Path) -> Fraction:
    try:
        rate = Fraction(fps).limit_denominator(1001)  # a float like 29.97 becomes an exact small fraction
    except (TypeError, ValueError):
        raise WriterError(path, "fps", f"{fps!r} is not a number") from None
    if rate <= 0:
        raise WriterError(path, "fps", f"{fps} is not positive")
    return rate


def write_mp4(frames: Any, path: str | Path, *, fps: float | Fraction = 30, crf: int = 23) -> Path:
    """Encode a (T, H, W, 3) uint8 clip to an H.264 yuv420p mp4 at `path`, written to a temp file then replaced.

    Odd widths/heights gain one edge-replicated pixel column/row. crf 0..51 (lower is better, 23 is x264's default).
    """
    import av

    path = Path(path)
    arr = _even(as_frames(frames, path))
    rate = _rate(fps, path)
    if not 0 <= crf <= 51:
        raise WriterError(path, "crf", f"{crf} is outside 0..51")
    encoder = mp4_encoder()
    check_writable_dir(path.parent)
    _, height, width, _ = arr.shape

    with atomic_file(path) as tmp:
        try:
            with av.open(str(tmp), mode="w", format="mp4") as container:
                # The options argument, rather than the stream.options property, works across PyAV >= 12.
                options = {} if encoder == "mpeg4" else {"crf": str(crf)}
                stream = container.add_stream(encoder, rate=rate, options=options)
                stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
                if encoder == "mpeg4":
                    # No crf in mpeg4, and PyAV cannot set the per-frame quality a fixed quantiser needs, so
                    # map crf to a bit rate: ~0.15 bit/pixel at crf 23, doubling every 6 crf steps like x264.
                    bits_per_pixel = 0.15 * 2 ** ((23 - crf) / 6)
                    stream.codec_context.bit_rate = max(64_000, round(bits_per_pixel * width * height * float(rate)))
                for index, frame in enumerate(arr):
                    video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
                    video_frame.pts = index
                    video_frame.time_base = 1 / rate
                    container.mux(stream.encode(video_frame))
                container.mux(stream.encode(None))  # flush the encoder's look-ahead
        except av.FFmpegError as exc:
            raise WriterError(path, f"mp4 ({encoder})", str(exc)) from exc
    return path
