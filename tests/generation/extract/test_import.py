"""`poses import`: StridedTransformer / HumanML3D / BVH class folders -> canonical .npz, with the extract report."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from generation.errors import PoseDataError
from generation.extract import ExtractError, find_pose_files, import_poses, read_report
from generation.poses import PoseSequence, h36m17_to_smpl22, load_poses, save_canonical

SHARED = Path(os.environ.get("AUTOSYNTHDA_SHARED", Path(__file__).resolve().parents[3].parent / "shared"))


def strided_clip(frames: int = 12, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=0.3, size=(frames, 17, 3)).astype(np.float32)


def humanml3d_clip(frames: int = 9) -> np.ndarray:
    raw = np.random.default_rng(1).normal(scale=0.2, size=(frames, 22, 3)).astype(np.float32)
    raw[..., 1] += 1.0
    return raw


def make_tree(root):
    """A StridedTransformer run per video (SynthDa's layout, with its mapped .npy twin), HumanML3D motions, junk."""
    for video, seed in (("v1", 0), ("v2", 1)):
        folder = root / "fall" / video / "output_3D"
        folder.mkdir(parents=True)
        raw = strided_clip(seed=seed)
        np.savez(folder / "output_keypoints_3d.npz", reconstruction=raw)
        np.save(folder / "output_keypoints_3d.npy", h36m17_to_smpl22(raw))
    (root / "walk").mkdir()
    np.save(root / "walk" / "gen_motion_00.npy", humanml3d_clip())
    np.save(root / "walk" / "broken.npy", np.zeros((5, 7)))
    (root / "walk" / "README.txt").write_text("ignored")
    np.save(root / "loose.npy", humanml3d_clip())
    return root


def test_auto_import_converts_labels_and_reports(tmp_path):
    src = make_tree(tmp_path / "src")
    rows = import_poses(src, tmp_path / "bank", progress=False)
    by_name = {(r.label, r.video): r for r in rows}
    assert set(by_name) == {
        ("fall", "v1/output_3D/output_keypoints_3d.npz"), ("fall", "v1/output_3D/output_keypoints_3d.npy"),
        ("fall", "v2/output_3D/output_keypoints_3d.npz"), ("fall", "v2/output_3D/output_keypoints_3d.npy"),
        ("walk", "gen_motion_00.npy"), ("walk", "broken.npy"), ("", "loose.npy"),
    }
    ok = by_name[("fall", "v1/output_3D/output_keypoints_3d.npz")]
    assert (ok.status, ok.frames, ok.kept_frames, ok.reason) == ("ok", 12, 12, "strided, 30 fps")
    assert ok.detection_rate is None and ok.detected_frames is None
    twin = by_name[("fall", "v1/output_3D/output_keypoints_3d.npy")]
    assert twin.status == "skipped" and twin.reason.startswith("SMPL-22 copy of output_keypoints_3d.npz")
    assert by_name[("walk", "gen_motion_00.npy")].reason == "humanml3d, 20 fps"
    broken = by_name[("walk", "broken.npy")]
    assert broken.status == "error" and broken.reason == "joints: expected shape (T, 22, 3), got (5, 7)"
    assert by_name[("", "loose.npy")].status == "skipped"

    seq = load_poses(tmp_path / "bank" / "fall" / "v1" / "output_3D" / "output_keypoints_3d.npz")
    assert seq.label == "fall" and seq.fps == 30.0
    assert np.allclose(seq.joints, h36m17_to_smpl22(strided_clip(seed=0)), atol=1e-6)
    assert load_poses(tmp_path / "bank" / "walk" / "gen_motion_00.npz").label == "walk"


def test_explicit_format_filters_by_suffix_and_sets_fps(tmp_path):
    src = make_tree(tmp_path / "src")
    rows = import_poses(src, tmp_path / "bank", "strided", fps=25.0, progress=False)
    assert [(r.video, r.status) for r in rows] == [
        ("v1/output_3D/output_keypoints_3d.npz", "ok"), ("v2/output_3D/output_keypoints_3d.npz", "ok"),
    ]
    assert load_poses(tmp_path / "bank" / "fall" / "v2" / "output_3D" / "output_keypoints_3d.npz").fps == 25.0


def test_same_output_name_is_an_error_row(tmp_path):
    (tmp_path / "src" / "walk").mkdir(parents=True)
    np.save(tmp_path / "src" / "walk" / "a.npy", humanml3d_clip())
    save_canonical(PoseSequence(h36m17_to_smpl22(strided_clip())), tmp_path / "src" / "walk" / "a.npz")
    rows = import_poses(tmp_path / "src", tmp_path / "bank", progress=False)
    assert [r.status for r in rows] == ["ok", "error"] and "same output a.npz as a.npy" in rows[1].reason


def test_import_errors(tmp_path):
    with pytest.raises(ExtractError, match="unknown import format 'fbx'"):
        find_pose_files(tmp_path, "fbx")
    with pytest.raises(PoseDataError, match="no .bvh pose files"):
        find_pose_files(tmp_path, "bvh")


@pytest.fixture
def bvh_dir():
    path = SHARED / "mocap" / "bvh"
    if not (path / "test_mocapbank.bvh").is_file():
        pytest.skip(f"{path} is absent: the BVH import test reads the shared mocap beside the repository")
    return path


def test_bvh_folder_through_the_cli(bvh_dir, tmp_path, cli):
    src = tmp_path / "src" / "sit"
    src.mkdir(parents=True)
    shutil.copy(bvh_dir / "test_mocapbank.bvh", src / "sitdown.bvh")
    (src / "broken.bvh").write_text("HIERARCHY\nROOT Hips\n{\n")
    done = cli("poses", "import", tmp_path / "src", "--out", tmp_path / "bank", "--format", "bvh")
    assert done.returncode == 0, done.stderr
    report = {r["video"]: r for r in read_report(tmp_path / "bank" / "import_report.csv")}
    assert report["sitdown.bvh"]["status"] == "ok" and report["sitdown.bvh"]["reason"] == "bvh, 30 fps"
    assert report["broken.bvh"]["status"] == "error" and report["broken.bvh"]["reason"]
    seq = load_poses(tmp_path / "bank" / "sit" / "sitdown.npz")
    assert seq.label == "sit" and seq.num_frames == int(report["sitdown.bvh"]["frames"]) > 100
    assert "1 converted, 0 skipped, 1 errors" in done.stdout


def test_cli_import_nothing_converted(tmp_path, cli):
    (tmp_path / "src" / "walk").mkdir(parents=True)
    np.save(tmp_path / "src" / "walk" / "bad.npy", np.zeros((3, 3)))
    done = cli("poses", "import", tmp_path / "src", "--out", tmp_path / "bank")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: {tmp_path / 'src'}: nothing converted")
