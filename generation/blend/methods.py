"""Blend methods: SynthDa's exact formula and better-behaved alternatives, vectorised over pairs and weights.

Weight semantics differ by method, as in their definitions:
- synthda: P = P_r + alpha (w P_r - (1 - w) P_s), alpha = 0.5, w = SynthDa's w_A (the real clip's weight). Not convex.
- convex: P = (1 - w) A + w B, w = the share of the other motion B.
- bone_preserving: convex, then every bone rescaled to (1 - w) |bone_A| + w |bone_B| from the root outwards, so limbs
  keep a plausible length instead of shrinking where the two motions disagree; the root trajectory stays the convex one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from generation.errors import BlendError
from generation.poses.joints import smpl22_bones

SYNTHDA_ALPHA = 0.5
_EPS = 1e-9


def _synthda(base: np.ndarray, other: np.ndarray, w: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    return base + SYNTHDA_ALPHA * (w * base - (1.0 - w) * other)


def _convex(base: np.ndarray, other: np.ndarray, w: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    return (1.0 - w) * base + w * other


def _clip_bone_lengths(joints: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """(..., 21) bone lengths per clip: the median over its valid frames (mocap bones are rigid, estimates are not)."""
    bones = smpl22_bones()
    parents = [p for p, _ in bones]
    children = [c for _, c in bones]
    lengths = np.linalg.norm(joints[..., children, :] - joints[..., parents, :], axis=-1)  # (..., T, 21)
    if valid is None:
        return np.median(lengths, axis=-2)
    return np.nanmedian(np.where(valid[..., None], lengths, np.nan), axis=-2)


def _bone_preserving(base: np.ndarray, other: np.ndarray, w: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    mixed = _convex(base, other, w)
    if mixed.shape[-2] != 22:
        raise BlendError(f"bone_preserving: needs SMPL-22 joints, got {mixed.shape[-2]} joints")
    len_base = _clip_bone_lengths(base, valid)
    len_other = _clip_bone_lengths(other, valid)
    w_bone = w[..., 0, 0]  # (..., 1) broadcast over bones
    target = (1.0 - w_bone) * len_base + w_bone * len_other  # (..., 21)
    out = mixed.copy()
    for k, (parent, child) in enumerate(smpl22_bones()):
        direction = mixed[..., child, :] - mixed[..., parent, :]
        norm = np.linalg.norm(direction, axis=-1, keepdims=True)
        unit = np.where(norm > _EPS, direction / np.maximum(norm, _EPS), 0.0)
        out[..., child, :] = out[..., parent, :] + unit * target[..., k, None, None]
    return out


BLEND_METHODS: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]] = {
    "synthda": _synthda,
    "convex": _convex,
    "bone_preserving": _bone_preserving,
}


def check_weights(weights: float | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim > 1:
        raise BlendError(f"weight: expected a number or a 1-D list of numbers, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any((w < 0.0) | (w > 1.0)):
        bad = w[~(np.isfinite(w) & (w >= 0.0) & (w <= 1.0))].ravel()[0]
        raise BlendError(f"weight: must be within [0, 1], got {bad}")
    return w


def blend(
    base: np.ndarray,
    other: np.ndarray,
    weights: float | np.ndarray,
    method: str = "synthda",
    *,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Blend aligned (..., T, J, 3) arrays at one or many weights, in float64.

    A scalar weight gives (..., T, J, 3); a 1-D array of W weights gives (..., W, T, J, 3). base is P_r / A (the real
    clip), other is P_s / B. Leading dimensions batch many pairs in one call; valid, a (..., T) boolean mask, marks the
    real frames of zero-padded clips so per-clip statistics ignore the padding.
    """
    if method not in BLEND_METHODS:
        raise BlendError(f"method: unknown blend method {method!r} (known: {', '.join(BLEND_METHODS)})")
    w = check_weights(weights)
    a = np.asarray(base, dtype=np.float64)
    b = np.asarray(other, dtype=np.float64)
    if a.shape != b.shape or a.ndim < 3 or a.shape[-1] != 3:
        raise BlendError(f"shape: base and other must be aligned (..., T, J, 3) arrays, got {a.shape} and {b.shape}")
    mask = None if valid is None else np.asarray(valid, dtype=bool)
    if w.ndim == 0:
        return BLEND_METHODS[method](a, b, w.reshape(1, 1, 1), mask)
    a = a[..., None, :, :, :]
    b = b[..., None, :, :, :]
    mask = None if mask is None else mask[..., None, :]
    return BLEND_METHODS[method](a, b, w.reshape(-1, 1, 1, 1), mask)
