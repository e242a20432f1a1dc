"""Loaders for StridedTransformer npz, HumanML3D npy and the canonical npz, and their one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from generation.errors import PoseDataError
from generation.poses import PoseSequence, detect_format, load_canonical, load_poses, save_canonical


def h36m_clip(frames: int = 10) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal(scale=0.3, size=(frames, 17, 3)).astype(np.float32)


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_strided_loader_maps_to_smpl22(tmp_path):
    raw = h36m_clip()
    seq = load_poses(write_npz(tmp_path / "clip.npz", reconstruction=raw), label="fall")
    assert seq.joint_set == "smpl22" and seq.joints.shape == (10, 22, 3) and seq.label == "fall"
    assert np.array_equal(seq.joints[:, 1], raw[:, 4].astype(np.float64))  # l_hip <- H36M l_hip
    assert np.allclose(seq.joints[:, 6], (raw[:, 7] + raw[:, 8]) / 2)
    assert seq.floor_y is None


def test_humanml3d_loader_flips_into_y_down(tmp_path):
    rng = np.random.default_rng(1)
    raw = rng.normal(size=(8, 22, 3)).astype(np.float32)
    raw[:, 15, 1] = 1.6  # head high up in a y-up frame
    raw[:, [7, 8, 10, 11], 1] = 0.05  # feet on the floor (y = 0)
    path = tmp_path / "motion.npy"
    np.save(path, raw)
    seq = load_poses(path)
    assert seq.fps == 20.0 and seq.joints.dtype == np.float32
    centre = np.median(raw[0], axis=0)
    assert np.allclose(seq.joints, (raw - centre) * np.array([1, -1, -1], np.float32))
    # y is down now: the head is above (smaller y than) the feet, and the floor lies just below the feet.
    assert (seq.joints[:, 15, 1] < seq.joints[:, 7, 1]).all()
    assert seq.floor_y == pytest.approx(float(centre[1]))
    assert np.allclose(seq.floor_y - seq.joints[:, 7, 1], 0.05, atol=1e-6)


def test_canonical_round_trip(tmp_path):
    seq = PoseSequence(
        np.random.default_rng(2).normal(size=(6, 22, 3)).astype(np.float32),
        fps=25.0, label="sit", source="somewhere.bvh", floor_y=0.9, meta={"take": "x", "start_s": 1.5},
    )
    path = save_canonical(seq, tmp_path / "out" / "clip.npz")
    assert detect_format(path) == "canonical"
    back = load_canonical(path)
    assert np.array_equal(back.joints, seq.joints)
    assert (back.fps, back.label, back.source, back.floor_y) == (25.0, "sit", str(path), 0.9)
    assert back.meta == {**seq.meta, "origin": "somewhere.bvh"}
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


BAD_ARRAYS = {
    "nan": (lambda a: a.__setitem__((3, 2, 1), np.nan) or a, "non-finite"),
    "inf": (lambda a: a.__setitem__((0, 0, 0), np.inf) or a, "non-finite"),
    "joints": (lambda a: a[:, :16], "expected 17 joints"),
    "shape": (lambda a: a[:, :, :2], r"expected shape \(T, 17, 3\)"),
    "flat": (lambda a: a.reshape(10, -1), r"expected shape"),
    "zero frames": (lambda a: a[:0], "at least 2 frames, got 0"),
    "one frame": (lambda a: a[:1], "at least 2 frames, got 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARRAYS))
def test_bad_strided_arrays_name_file_and_field(tmp_path, case):
    make, message = BAD_ARRAYS[case]
    path = write_npz(tmp_path / "bad.npz", reconstruction=make(h36m_clip()))
    with pytest.raises(PoseDataError, match=message) as info:
        load_poses(path)
    text = str(info.value)
    assert text.startswith(f"{path}: reconstruction: ") and "\n" not in text


def test_missing_npz_key(tmp_path):
    path = write_npz(tmp_path / "keys.npz", poses=h36m_clip())
    with pytest.raises(PoseDataError, match=r"keys\.npz: reconstruction: missing npz key \(found: poses\)"):
        load_poses(path)


def test_wrong_joint_count_in_humanml3d(tmp_path):
    path = tmp_path / "m.npy"
    np.save(path, np.zeros((5, 21, 3), np.float32))
    with pytest.raises(PoseDataError, match=r"m\.npy: joints: expected 22 joints for smpl22, got 21"):
        load_poses(path)


def test_unreadable_and_missing_files(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(PoseDataError, match="garbage.npz: file: not a readable .npz"):
        load_poses(garbage, fmt="strided")
    with pytest.raises(PoseDataError, match="nothere.npz: file: does not exist"):
        load_poses(tmp_path / "nothere.npz")
    odd = tmp_path / "clip.csv"
    odd.write_text("1,2,3")
    with pytest.raises(PoseDataError, match=r"clip\.csv: format: unknown pose file suffix '\.csv'"):
        load_poses(odd)


def test_canonical_missing_key_and_bad_joints(tmp_path):
    path = write_npz(tmp_path / "c.npz", autosynthda_version=np.array(1), joint_set=np.array("smpl22"), fps=np.array(30.0))
    with pytest.raises(PoseDataError, match=r"c\.npz: joints: missing npz key"):
        load_poses(path)
    bad = np.zeros((4, 22, 3), np.float32)
    bad[1, 1, 1] = np.nan
    path = write_npz(tmp_path / "d.npz", autosynthda_version=np.array(1), joints=bad, joint_set=np.array("smpl22"), fps=np.array(30.0))
    with pytest.raises(PoseDataError, match=r"d\.npz: joints: 1 non-finite values \(NaN/inf\), first in frame 1"):
        load_poses(path)


def test_sequence_rejects_bad_fps_and_joint_set():
    joints = np.zeros((3, 22, 3), np.float32)
    with pytest.raises(PoseDataError, match="fps: must be a positive number"):
        PoseSequence(joints, fps=0.0, source="x")
    with pytest.raises(PoseDataError, match="joint_set: unknown joint set 'coco'"):
        PoseSequence(joints, joint_set="coco", source="x")
