from __future__ import annotations

import numpy as np
import pytest

from generation.blend import BLEND_METHODS, AlignedPair, align_pair, blend, blend_pairs, resample_fps, stretch
from generation.errors import BlendError
from generation.poses import PoseSequence, bone_lengths


def walking(frames: int, scale: float = 1.0, seed: int = 0) -> np.ndarray:
    """A (T, 22, 3) skeleton with rigid bones: a fixed rest pose rotated about y over time."""
    rng = np.random.default_rng(seed)
    rest = rng.normal(scale=0.3 * scale, size=(22, 3))
    angles = np.linspace(0, np.pi, frames)
    rot = np.stack(
        [
            np.stack([np.cos(angles), np.zeros(frames), np.sin(angles)], -1),
            np.tile([0.0, 1.0, 0.0], (frames, 1)),
            np.stack([-np.sin(angles), np.zeros(frames), np.cos(angles)], -1),
        ],
        axis=1,
    )
    return np.einsum("tij,kj->tki", rot, rest)


def test_convex_endpoints_and_midpoint():
    a, b = walking(10), walking(10, seed=1)
    assert np.allclose(blend(a, b, 0.0, "convex"), a)
    assert np.allclose(blend(a, b, 1.0, "convex"), b)
    assert np.allclose(blend(a, b, 0.5, "convex"), (a + b) / 2)


def test_synthda_is_not_convex():
    a, b = walking(10), walking(10, seed=1)
    assert np.allclose(blend(a, b, 1.0, "synthda"), 1.5 * a)
    assert np.allclose(blend(a, b, 0.0, "synthda"), a - 0.5 * b)


@pytest.mark.parametrize("w", [0.0, 0.3, 0.5, 1.0])
def test_bone_preserving_restores_weighted_mean_lengths(w):
    a, b = walking(12), walking(12, scale=1.3, seed=1)
    out = blend(a, b, w, "bone_preserving")
    expected = (1 - w) * bone_lengths(a)[0] + w * bone_lengths(b)[0]
    assert np.allclose(bone_lengths(out), expected[None], atol=1e-9)
    # The root trajectory is the convex one.
    assert np.allclose(out[:, 0], blend(a, b, w, "convex")[:, 0])
    # A convex mix of two differently rotated skeletons shortens bones; the method must not.
    assert not np.allclose(bone_lengths(blend(a, b, 0.5, "convex")), bone_lengths(blend(a, b, 0.5, "bone_preserving")))


@pytest.mark.parametrize("method", sorted(BLEND_METHODS))
def test_batched_pairs_of_different_lengths_match_single_calls(method):
    pairs = [
        AlignedPair(walking(t), walking(t, scale=1.2, seed=s), "real-real", "a", "b", 30.0, "fall")
        for t, s in [(9, 1), (15, 2), (12, 3)]
    ]
    weights = np.array([0.0, 0.37, 0.455, 1.0])
    batched = blend_pairs(pairs, weights, method)
    for pair, result in zip(pairs, batched):
        assert result.shape == (4, pair.num_frames, 22, 3)
        assert np.allclose(result, pair.blend(weights, method), atol=1e-12)
    scalar = blend_pairs(pairs, 0.37, method)
    assert [r.shape for r in scalar] == [(p.num_frames, 22, 3) for p in pairs]


@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), float("inf")])
def test_weight_outside_unit_interval_is_rejected(bad):
    with pytest.raises(BlendError, match=r"weight: must be within \[0, 1\]"):
        blend(walking(5), walking(5), bad)
    with pytest.raises(BlendError, match="weight"):
        blend(walking(5), walking(5), np.array([0.2, bad]))


def test_unknown_method_is_rejected():
    with pytest.raises(BlendError, match="method: unknown blend method 'slerp'"):
        blend(walking(5), walking(5), 0.5, "slerp")


def test_mismatched_shapes_are_rejected():
    with pytest.raises(BlendError, match="shape"):
        blend(walking(5), walking(6), 0.5)


def test_stretch_keeps_endpoints_and_is_linear():
    src = walking(5)
    out = stretch(src, 9)
    assert out.shape == (9, 22, 3)
    assert np.allclose(out[0], src[0]) and np.allclose(out[-1], src[-1])
    assert np.allclose(out[2], src[1])
    assert np.allclose(out[1], (src[0] + src[1]) / 2)


def test_resample_fps_keeps_duration():
    seq = PoseSequence(walking(61).astype(np.float32), fps=60.0)
    half = resample_fps(seq, 30.0)
    assert half.num_frames == 31 and half.fps == 30.0
    assert np.allclose(half.joints[-1], seq.joints[-1])


def test_align_pair_real_synth_keeps_real_as_base_and_can_resample():
    real = PoseSequence(walking(40).astype(np.float32), fps=30.0, label="fall", source="real")
    synth = PoseSequence(walking(20, seed=3).astype(np.float32), fps=20.0, source="synth")
    pair = align_pair(real, synth, "real-synth")
    assert pair.base_source == "real" and pair.num_frames == 40 and pair.label == "fall"
    resampled = align_pair(real, synth, "real-synth", fps=20.0)
    # At a common 20 fps the real clip has 27 frames and the synthetic 20: the shorter is stretched to 27.
    assert resampled.num_frames == 27 and resampled.fps == 20.0


def test_unknown_mode_is_rejected():
    seq = PoseSequence(walking(5).astype(np.float32))
    with pytest.raises(BlendError, match="mode: unknown mix mode"):
        align_pair(seq, seq, "synth-synth")
