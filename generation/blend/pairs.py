"""Aligning two motions into a blendable pair, exactly as SynthDa does for real-synth and real-real mixes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generation.blend.align import resample_fps, stretch
from generation.blend.methods import blend
from generation.choices import MixMode, names
from generation.errors import BlendError
from generation.poses.sequence import PoseSequence

MIX_MODES: tuple[str, ...] = names(MixMode)


@dataclass(frozen=True)
class AlignedPair:
    """Two float64 (T, 22, 3) motions of equal length. base is SynthDa's P_r, other its P_s."""

    base: np.ndarray
    other: np.ndarray
    mode: str
    base_source: str
    other_source: str
    fps: float
    label: str

    @property
    def num_frames(self) -> int:
        return int(self.base.shape[0])

    def blend(self, weights: float | np.ndarray, method: str = "synthda") -> np.ndarray:
        return blend(self.base, self.other, weights, method)


def align_pair(real: PoseSequence, other: PoseSequence, mode: str, *, fps: float | None = None) -> AlignedPair:
    """Make (P_r, P_s) from a real clip and a second motion.

    real-synth: P_r is the real clip, P_s the synthetic one. real-real: P_r is the LONGER clip (the first on a tie).
    The shorter clip is stretched linearly to the longer one's frame count (SynthDa ignores frame rates; pass fps to
    resample both clips to that rate first, an improvement SynthDa lacks).
    """
    if mode not in MIX_MODES:
        raise BlendError(f"mode: unknown mix mode {mode!r} (known: {', '.join(MIX_MODES)})")
    for seq in (real, other):
        if seq.joint_set != "smpl22":
            raise BlendError(f"{seq.source}: joint_set: blending needs smpl22 joints, got {seq.joint_set}")
    if fps is not None:
        real, other = resample_fps(real, fps), resample_fps(other, fps)
    if mode == "real-real" and other.num_frames > real.num_frames:
        real, other = other, real
    length = max(real.num_frames, other.num_frames)
    base = stretch(real.joints, length) if real.num_frames < length else np.asarray(real.joints, dtype=np.float64)
    rest = stretch(other.joints, length) if other.num_frames < length else np.asarray(other.joints, dtype=np.float64)
    return AlignedPair(
        base=base, other=rest, mode=mode, base_source=real.source, other_source=other.source,
        fps=real.fps, label=real.label,
    )


def blend_pairs(pairs: list[AlignedPair], weights: float | np.ndarray, method: str = "synthda") -> list[np.ndarray]:
    """Blend many pairs of different lengths at many weights in one vectorised call.

    Pairs are padded to the longest and blended together, with a mask so per-clip statistics see only real frames;
    each result is cut back to its own length: (W, T_i, 22, 3) for a 1-D weights array, (T_i, 22, 3) for a scalar.
    """
    if not pairs:
        return []
    longest = max(p.num_frames for p in pairs)
    base = np.zeros((len(pairs), longest, 22, 3))
    other = np.zeros_like(base)
    valid = np.zeros((len(pairs), longest), dtype=bool)
    for i, pair in enumerate(pairs):
        base[i, : pair.num_frames] = pair.base
        other[i, : pair.num_frames] = pair.other
        valid[i, : pair.num_frames] = True
    mixed = blend(base, other, weights, method, valid=valid)
    if np.ndim(weights) == 0:
        return [mixed[i, : p.num_frames] for i, p in enumerate(pairs)]
    return [mixed[i, :, : p.num_frames] for i, p in enumerate(pairs)]
