"""Per-frame detections -> one continuous clip: cut at long gaps, fill short ones, smooth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter


@dataclass(frozen=True)
class Track:
    """The kept part of a video's detections, gaps filled.

    points: (K, J, 3) finite. start/stop: the source frames kept, [start, stop). filled: frame ranges [a, b) relative
    to start that were interpolated (no person detected there). cut_gaps: gaps longer than max_gap outside the kept
    part (the clip was cut there instead of inventing motion).
    """

    points: np.ndarray
    start: int
    stop: int
    filled: tuple[tuple[int, int], ...]
    cut_gaps: int

    @property
    def gaps_filled(self) -> int:
        return len(self.filled)

    @property
    def frames_filled(self) -> int:
        return sum(b - a for a, b in self.filled)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) runs of True in a 1-D boolean mask."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def implausible_frames(
    points: np.ndarray, detected: np.ndarray, limbs: Sequence[tuple[int, int]], tolerance: float
) -> np.ndarray:
    """(T,) True for detected frames where some limb is more than `tolerance` (a fraction) off its median length
    over the clip's detected frames. tolerance <= 0 turns the check off."""
    detected = np.asarray(detected, dtype=bool)
    bad = np.zeros(detected.shape, dtype=bool)
    if tolerance <= 0 or not detected.any():
        return bad
    pairs = np.asarray(limbs)
    lengths = np.linalg.norm(points[detected][:, pairs[:, 0]] - points[detected][:, pairs[:, 1]], axis=-1)
    median = np.median(lengths, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.abs(lengths / median - 1.0)
    bad[detected] = (off > tolerance).any(axis=1)
    return bad


def _segments(detected: np.ndarray, max_gap: int) -> list[tuple[int, int]]:
    """Spans [start, stop) of detected frames whose inner gaps are all <= max_gap frames."""
    segments: list[list[int]] = []
    for a, b in runs(detected):
        if segments and a - segments[-1][1] <= max_gap:
            segments[-1][1] = b
        else:
            segments.append([a, b])
    return [(a, b) for a, b in segments]


def build_track(points: np.ndarray, detected: np.ndarray, max_gap: int) -> Track | None:
    """Keep the longest span of the video whose gaps are <= max_gap frames and fill them linearly.

    points: (T, J, 3), rows of undetected frames are ignored. Leading and trailing frames without a person are
    dropped (nothing to interpolate from). None when no frame has a person.
    """
    detected = np.asarray(detected, dtype=bool)
    segments = _segments(detected, max(0, int(max_gap)))
    if not segments:
        return None
    start, stop = max(segments, key=lambda s: (s[1] - s[0], -s[0]))  # longest; the earliest on a tie
    kept = np.array(points[start:stop], dtype=np.float64)
    filled = tuple(runs(~detected[start:stop]))
    for a, b in filled:
        # a - 1 and b are detected frames (a segment starts and ends on one).
        t = (np.arange(a, b) - (a - 1)) / (b - (a - 1))
        kept[a:b] = kept[a - 1] + t[:, None, None] * (kept[b] - kept[a - 1])
    return Track(points=kept, start=start, stop=stop, filled=filled, cut_gaps=len(segments) - 1)


def smoothing_window(fps: float, seconds: float, frames: int, polyorder: int = 2) -> int:
    """Odd Savitzky-Golay window covering ~seconds at fps, shrunk to fit the clip; 0 means no smoothing."""
    if seconds <= 0:
        return 0
    window = max(polyorder + 3, int(round(seconds * fps)))
    window = min(window, frames)
    if window % 2 == 0:
        window -= 1
    return window if window > polyorder + 1 else 0


def smooth(points: np.ndarray, fps: float, seconds: float, polyorder: int = 2) -> np.ndarray:
    """Savitzky-Golay over time: removes frame-to-frame jitter while keeping fast motion (a fall) sharper than a
    moving average of the same width would."""
    window = smoothing_window(fps, seconds, points.shape[0], polyorder)
    if window == 0:
        return points
    return savgol_filter(points, window, polyorder, axis=0, mode="interp")
