"""The console commands, run as a user runs them (a subprocess), on the SynthDa reference inputs."""

from __future__ import annotations

import numpy as np
import pytest

from generation.poses import load_canonical


def test_mix_off_grid_weight_matches_formula(synthda_reference, tmp_path, autosynthda):
    folder = synthda_reference / "test_video_2"
    out = tmp_path / "mix.npy"
    done = autosynthda(
        "mix", "--real", folder / "output_keypoints_3d.npz", "--other", folder / "gen_motion_00_L072_00_a.npy",
        "--weight", "0.37", "--mode", "real-synth", "--out", out,
    )
    assert done.returncode == 0, done.stderr
    real = np.load(folder / "output_keypoints_3d.npy")
    other = np.load(folder / "gen_motion_00_L072_00_a_flip_extended.npy")
    result = np.load(out)
    assert result.dtype == np.float64 and result.shape == (131, 22, 3)
    assert np.abs(result - (real + 0.5 * (0.37 * real - 0.63 * other))).max() <= 1e-6


def test_mix_real_real_at_grid_weight_matches_synthda_file(synthda_reference, tmp_path, autosynthda):
    folder = synthda_reference / "test_video_1_test_video_2"
    out = tmp_path / "rr.npy"
    done = autosynthda(
        "mix", "--real", folder / "output_keypoints_3d_test_video_1.npz",
        "--other", folder / "output_keypoints_3d_test_video_2.npz", "--weight", "0.3", "--mode", "real-real", "--out", out,
    )
    assert done.returncode == 0, done.stderr
    expected = np.load(folder / "all_variations" / "_euclidean_distances_wA0.3_wB0.7.npy")
    assert np.abs(np.load(out) - expected).max() <= 1e-6


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--weight", "1.5", "--method", "synthda"], "weight: must be within [0, 1], got 1.5"),
        (["--weight", "0.5", "--method", "slerp"], "method: unknown blend method 'slerp' (known: synthda, convex, bone_preserving)"),
    ],
)
def test_mix_bad_arguments_are_one_line_errors(synthda_reference, tmp_path, extra, message, autosynthda):
    folder = synthda_reference / "test_video_2"
    out = tmp_path / "never.npy"
    done = autosynthda(
        "mix", "--real", folder / "output_keypoints_3d.npz", "--other", folder / "gen_motion_00_L072_00_a.npy",
        "--mode", "real-synth", "--out", out, *extra,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {message}"]
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_poses_convert_and_info(synthda_reference, tmp_path, autosynthda):
    src = synthda_reference / "test_video_1" / "output_keypoints_3d.npz"
    out = tmp_path / "canon.npz"
    done = autosynthda("poses", "convert", src, "--out", out, "--label", "fall")
    assert done.returncode == 0, done.stderr
    seq = load_canonical(out)
    assert seq.label == "fall" and seq.joints.shape == (129, 22, 3)
    assert np.abs(seq.joints - np.load(synthda_reference / "test_video_1" / "output_keypoints_3d.npy")).max() <= 1e-6
    info = autosynthda("poses", "info", out)
    assert info.returncode == 0, info.stderr
    lines = dict(line.split(None, 1) for line in info.stdout.splitlines() if line and not line.startswith("bbox"))
    assert lines["frames"].strip() == "129" and lines["label"].strip() == "fall" and lines["joint"].startswith("set")


def test_poses_info_bad_file_is_one_line(tmp_path, autosynthda):
    bad = tmp_path / "bad.npz"
    np.savez(bad, reconstruction=np.zeros((1, 17, 3), np.float32))
    done = autosynthda("poses", "info", bad)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {bad}: reconstruction: needs at least 2 frames, got 1"
