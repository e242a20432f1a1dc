"""Every SynthDa reference file reproduced from its inputs: mapping, flip, stretch and all 27 blends."""

from __future__ import annotations

import numpy as np
import pytest

from generation.blend import align_pair, blend, stretch
from generation.poses import h36m17_to_smpl22, load_humanml3d, load_poses, synthetic_flip

VIDEOS = {"test_video_1": "gen_motion_00_L108_00_a", "test_video_2": "gen_motion_00_L072_00_a"}
GRID = [round(a / 10, 1) for a in range(1, 10)]


def formula(real: np.ndarray, other: np.ndarray, w: float) -> np.ndarray:
    """SYNTHDA.md written out independently: P = P_r + 0.5 (w P_r - (1 - w) P_s)."""
    return real + 0.5 * (w * real - (1 - w) * other)


def variation(folder, w: float) -> np.ndarray:
    return np.load(folder / "all_variations" / f"_euclidean_distances_wA{w}_wB{round(1 - w, 1)}.npy")


@pytest.mark.parametrize("video", sorted(VIDEOS))
def test_mapping_is_exact(synthda_reference, video):
    folder = synthda_reference / video
    h36m = np.load(folder / "output_keypoints_3d.npz")["reconstruction"]
    expected = np.load(folder / "output_keypoints_3d.npy")
    assert np.abs(h36m17_to_smpl22(h36m) - expected).max() <= 1e-6
    assert np.abs(load_poses(folder / "output_keypoints_3d.npz").joints - expected).max() <= 1e-6


@pytest.mark.parametrize("video", sorted(VIDEOS))
def test_flip_and_stretch_are_exact(synthda_reference, video):
    folder = synthda_reference / video
    gen = folder / f"{VIDEOS[video]}.npy"
    flipped_ref = np.load(folder / f"{VIDEOS[video]}_flip.npy")
    extended_ref = np.load(folder / f"{VIDEOS[video]}_flip_extended.npy")
    flipped, _ = synthetic_flip(np.load(gen))
    assert flipped.dtype == np.float32
    assert np.abs(flipped - flipped_ref).max() <= 1e-6
    assert np.abs(load_humanml3d(gen).joints - flipped_ref).max() <= 1e-6
    assert np.abs(stretch(flipped, extended_ref.shape[0]) - extended_ref).max() <= 1e-6


@pytest.mark.parametrize("video", sorted(VIDEOS))
@pytest.mark.parametrize("w", GRID)
def test_real_synth_blends(synthda_reference, video, w):
    folder = synthda_reference / video
    pair = align_pair(load_poses(folder / "output_keypoints_3d.npz"), load_poses(folder / f"{VIDEOS[video]}.npy"), "real-synth")
    assert np.abs(pair.blend(w) - variation(folder, w)).max() <= 1e-6


def test_real_real_alignment(synthda_reference):
    folder = synthda_reference / "test_video_1_test_video_2"
    first = load_poses(folder / "output_keypoints_3d_test_video_1.npz")
    second = load_poses(folder / "output_keypoints_3d_test_video_2.npz")
    assert np.abs(first.joints - np.load(folder / "output_keypoints_3d_real1.npy")).max() <= 1e-6
    pair = align_pair(first, second, "real-real")
    # P_r is the LONGER clip (real2, 131 frames); the shorter real1 (129) is stretched onto it.
    assert pair.base_source.endswith("test_video_2.npz")
    assert np.abs(pair.base - np.load(folder / "output_keypoints_3d_real2.npy")).max() <= 1e-6
    assert np.abs(pair.other - np.load(folder / "output_keypoints_3d_real1_extended.npy")).max() <= 1e-6
    # Order of the arguments does not matter for real-real.
    swapped = align_pair(second, first, "real-real")
    assert np.array_equal(swapped.base, pair.base) and np.array_equal(swapped.other, pair.other)


@pytest.mark.parametrize("w", GRID)
def test_real_real_blends(synthda_reference, w):
    folder = synthda_reference / "test_video_1_test_video_2"
    pair = align_pair(
        load_poses(folder / "output_keypoints_3d_test_video_1.npz"),
        load_poses(folder / "output_keypoints_3d_test_video_2.npz"),
        "real-real",
    )
    assert np.abs(pair.blend(w) - variation(folder, w)).max() <= 1e-6


@pytest.mark.parametrize("w", [0.0, 0.37, 0.455, 0.999, 1.0])
@pytest.mark.parametrize("video", sorted(VIDEOS))
def test_off_grid_weights_follow_the_formula(synthda_reference, video, w):
    folder = synthda_reference / video
    real = np.load(folder / "output_keypoints_3d.npy")
    other = np.load(folder / f"{VIDEOS[video]}_flip_extended.npy")
    pair = align_pair(load_poses(folder / "output_keypoints_3d.npz"), load_poses(folder / f"{VIDEOS[video]}.npy"), "real-synth")
    assert np.abs(pair.blend(w) - formula(real, other, w)).max() <= 1e-6


def test_many_weights_in_one_call_match_single_calls(synthda_reference):
    folder = synthda_reference / "test_video_2"
    real = np.load(folder / "output_keypoints_3d.npy")
    other = np.load(folder / f"{VIDEOS['test_video_2']}_flip_extended.npy")
    weights = np.array([0.1, 0.37, 0.455, 0.9])
    batched = blend(real, other, weights)
    assert batched.shape == (4,) + real.shape
    for i, w in enumerate(weights):
        assert np.abs(batched[i] - formula(real, other, w)).max() <= 1e-6
    assert np.abs(batched[0] - variation(folder, 0.1)).max() <= 1e-6


@pytest.mark.parametrize("video", sorted(VIDEOS))
def test_t2m_output_folder_copy_is_the_blend_input(synthda_reference, video):
    """SynthDa reads the text-to-motion clip from t2m/.../animations/C000/; it is the same motion as the top-level copy."""
    folder = synthda_reference / video
    nested = folder / "t2m" / "Comp_v6_KLD01" / "default" / "animations" / "C000" / f"{VIDEOS[video]}.npy"
    flipped_ref = np.load(folder / f"{VIDEOS[video]}_flip.npy")
    assert np.abs(load_humanml3d(nested).joints - flipped_ref).max() <= 1e-6
    pair = align_pair(load_poses(folder / "output_keypoints_3d.npz"), load_poses(nested), "real-synth")
    assert np.abs(pair.blend(0.5) - variation(folder, 0.5)).max() <= 1e-6
