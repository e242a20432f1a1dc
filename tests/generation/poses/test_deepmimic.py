from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from generation.errors import PoseDataError
from generation.poses import estimate_stature, feet_height, load_poses
from generation.poses.deepmimic import FRAME_WIDTH, URDF_SCALE, load_deepmimic, parse_urdf

MOCAP = Path(__file__).resolve().parents[3].parent / "shared" / "mocap"
DM_DIR = MOCAP / "deepmimic"
URDF = DM_DIR / "humanoid.urdf"
needs_mocap = pytest.mark.skipif(not URDF.is_file(), reason=f"shared mocap not present at {DM_DIR}")

CLIPS = sorted(DM_DIR.glob("humanoid3d_*.txt")) + sorted((DM_DIR / "walker").glob("*.txt")) if DM_DIR.is_dir() else []
FPS = {"humanoid3d_spin": 24.0, "humanoid3d_backflip": 16.0}
FPS30 = {"humanoid3d_walk", "humanoid3d_run", "humanoid3d_kick", "humanoid3d_punch"}
# Clips whose first frame is not standing upright.
NOT_UPRIGHT_AT_START = {"humanoid3d_crawl", "humanoid3d_getup_facedown", "humanoid3d_getup_faceup"}


def expected_fps(path: Path) -> float:
    if path.parent.name == "walker" or path.stem in FPS30:
        return 30.0
    return FPS.get(path.stem, 60.0)


def identity_frame(root_y: float = 1.0, knee: float = 0.0) -> list[float]:
    unit = [1.0, 0.0, 0.0, 0.0]
    joints = unit + unit + unit + [knee] + unit + unit + [0.0] + unit + [knee] + unit + unit + [0.0]
    return [0.5, 0.0, root_y, 0.0] + unit + joints


def write_clip(tmp_path: Path, frames: list, name: str = "clip.txt", urdf: bool = True) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"Loop": "none", "Frames": frames}))
    if urdf:
        shutil.copy(URDF, tmp_path / "humanoid.urdf")
    return path


@needs_mocap
@pytest.mark.parametrize("path", CLIPS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_real_clip_loads_as_plausible_smpl22(path: Path) -> None:
    seq = load_deepmimic(path, label="x")
    assert seq.joints.shape[1:] == (22, 3) and seq.joint_set == "smpl22"
    assert np.isfinite(seq.joints).all()
    assert seq.fps == expected_fps(path)
    assert 1.4 <= estimate_stature(seq) <= 2.1
    # Nothing goes more than 3 cm through the ground (the foot joint is ~3 cm above the sole).
    assert feet_height(seq).min() > -0.03
    if path.stem not in NOT_UPRIGHT_AT_START:
        # Standing or moving upright at frame 0: the foot joint lies 1-8 cm above the floor, the head > 1.2 m.
        assert 0.01 <= feet_height(seq)[0] <= 0.08
        assert seq.floor_y - seq.joints[0, 15, 1] > 1.2


@needs_mocap
def test_walk_left_hip_is_on_the_subjects_left() -> None:
    seq = load_deepmimic(DM_DIR / "humanoid3d_walk.txt")
    up = np.array([0.0, -1.0, 0.0])
    forward = seq.joints[:, [10, 11]].mean(axis=1) - seq.joints[:, [7, 8]].mean(axis=1)
    forward[:, 1] = 0.0
    hips = seq.joints[:, 1] - seq.joints[:, 2]
    assert (np.sum(hips * np.cross(up, forward), axis=1) > 0).all()


@needs_mocap
def test_walk_moves_forward_and_stays_upright() -> None:
    seq = load_deepmimic(DM_DIR / "humanoid3d_walk.txt")
    pelvis_height = seq.floor_y - seq.joints[:, 0, 1]
    assert 0.8 < pelvis_height.min() and pelvis_height.max() < 0.95
    assert np.linalg.norm(seq.joints[-1, 0, [0, 2]] - seq.joints[0, 0, [0, 2]]) > 1.0


@needs_mocap
def test_getup_goes_from_floor_to_standing() -> None:
    seq = load_deepmimic(DM_DIR / "humanoid3d_getup_facedown.txt")
    pelvis_height = seq.floor_y - seq.joints[:, 0, 1]
    assert pelvis_height[0] < 0.2 and pelvis_height[-1] > 0.8


@needs_mocap
def test_roll_with_a_skipped_frame_is_resampled_uniformly() -> None:
    seq = load_deepmimic(DM_DIR / "humanoid3d_roll.txt")
    assert seq.meta["resampled"] is True
    assert seq.fps == 60.0
    # 121 stored frames, one gap 0.032666 s instead of 0.016666 s: 2.0159 s in all, 121 frames on the 1/60 s grid
    # (the grid stops at 2.0 s, inside the clip, rather than extrapolate).
    assert seq.num_frames == 121


@needs_mocap
def test_load_poses_dispatches_txt_to_deepmimic() -> None:
    seq = load_poses(DM_DIR / "walker" / "turn_left0.txt", label="walk")
    assert seq.label == "walk" and seq.meta["format"] == "deepmimic"


@needs_mocap
def test_urdf_with_trailing_nul_parses() -> None:
    assert URDF.read_bytes().endswith(b"\x00")
    body = parse_urdf(URDF)
    np.testing.assert_allclose(body.joints["left_knee"].origin, [0.0, -1.686184 * URDF_SCALE, 0.0])
    np.testing.assert_allclose(body.joints["left_knee"].axis, [0.0, 0.0, 1.0])
    # Foot box centre (0.18, -0.09, 0) + a quarter of its 0.708 length, scaled.
    np.testing.assert_allclose(body.feet["left"], [(0.18 + 0.177) * URDF_SCALE, -0.09 * URDF_SCALE, 0.0])


# --- forward kinematics on synthetic frames --------------------------------------------------------------------------


@needs_mocap
def test_rest_pose_positions_are_sums_of_urdf_offsets(tmp_path: Path) -> None:
    seq = load_deepmimic(write_clip(tmp_path, [identity_frame(), identity_frame()]))
    body = parse_urdf(URDF)
    j = seq.joints[0].astype(np.float64)
    flip = np.array([1.0, -1.0, -1.0])  # y-up -> canonical
    o = {name: joint.origin for name, joint in body.joints.items()}
    np.testing.assert_allclose(j[1] - j[0], flip * o["left_hip"], atol=1e-6)
    np.testing.assert_allclose(j[4] - j[1], flip * o["left_knee"], atol=1e-6)
    np.testing.assert_allclose(j[8] - j[5], flip * o["right_ankle"], atol=1e-6)
    np.testing.assert_allclose(j[6] - j[0], flip * o["chest"], atol=1e-6)  # spine2 = chest
    np.testing.assert_allclose(j[3], (j[0] + j[6]) / 2, atol=1e-6)  # spine1 midway root-chest
    np.testing.assert_allclose(j[21] - j[19], flip * o["right_wrist"], atol=1e-6)
    np.testing.assert_allclose(j[15] - j[12], flip * body.head, atol=1e-6)
    # Root at y = 1 m over a floor at y = 0.
    assert seq.floor_y - j[0, 1] == pytest.approx(1.0, abs=1e-6)


@needs_mocap
def test_knee_angle_rotates_about_local_z(tmp_path: Path) -> None:
    seq = load_deepmimic(write_clip(tmp_path, [identity_frame(knee=np.pi / 2), identity_frame()]))
    j = seq.joints[0].astype(np.float64)
    shin = -1.639480 * URDF_SCALE
    # Rz(90 deg) turns the knee -> ankle offset (0, shin, 0) into (-shin, 0, 0) (y-up), i.e. (+0.41, 0, 0) canonical.
    np.testing.assert_allclose(j[7] - j[4], [-shin, 0.0, 0.0], atol=1e-6)


@needs_mocap
def test_root_quaternion_turns_the_body(tmp_path: Path) -> None:
    frame = identity_frame()
    half = np.sqrt(0.5)
    frame[4:8] = [half, 0.0, half, 0.0]  # +90 deg about y (up): x -> -z
    seq = load_deepmimic(write_clip(tmp_path, [frame, frame]))
    body = parse_urdf(URDF)
    hip = body.joints["left_hip"].origin  # (0, 0, -0.085): rotated to (-0.085, 0, 0) y-up, same in canonical
    np.testing.assert_allclose(seq.joints[0, 1] - seq.joints[0, 0], [hip[2], 0.0, 0.0], atol=1e-6)


@needs_mocap
def test_unnormalised_quaternions_are_normalised(tmp_path: Path) -> None:
    frame = identity_frame()
    frame[4:8] = [2.0, 0.0, 0.0, 0.0]
    seq = load_deepmimic(write_clip(tmp_path, [frame, identity_frame()]))
    np.testing.assert_allclose(seq.joints[0], seq.joints[1], atol=1e-6)


# --- bad input -------------------------------------------------------------------------------------------------------


@needs_mocap
def test_licence_text_is_not_a_clip() -> None:
    with pytest.raises(PoseDataError, match=r"PYBULLET_LICENSE\.txt: file: not a DeepMimic clip: not JSON"):
        load_deepmimic(DM_DIR / "PYBULLET_LICENSE.txt")


@needs_mocap
def test_wrong_frame_width(tmp_path: Path) -> None:
    path = write_clip(tmp_path, [identity_frame(), identity_frame()[:-1]], "short.txt")
    with pytest.raises(PoseDataError, match=rf"short\.txt: Frames: frame 1: expected {FRAME_WIDTH} numbers, got 43"):
        load_deepmimic(path)


@needs_mocap
def test_non_numeric_value(tmp_path: Path) -> None:
    bad = identity_frame()
    bad[10] = "x"
    path = write_clip(tmp_path, [identity_frame(), bad], "text.txt")
    with pytest.raises(PoseDataError, match=r"text\.txt: Frames: frame 1: non-numeric value"):
        load_deepmimic(path)


@needs_mocap
def test_no_frames_key(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text('{"Loop": "wrap"}')
    with pytest.raises(PoseDataError, match=r"empty\.txt: Frames: not a DeepMimic clip"):
        load_deepmimic(path, urdf=URDF)


@needs_mocap
def test_zero_quaternion(tmp_path: Path) -> None:
    bad = identity_frame()
    bad[4:8] = [0.0, 0.0, 0.0, 0.0]
    path = write_clip(tmp_path, [identity_frame(), bad], "zero.txt")
    with pytest.raises(PoseDataError, match=r"zero\.txt: Frames: frame 1: zero quaternion \(root\)"):
        load_deepmimic(path)


def test_missing_urdf(tmp_path: Path) -> None:
    (tmp_path / "deep").mkdir()
    path = tmp_path / "deep" / "clip.txt"
    path.write_text(json.dumps({"Frames": [identity_frame(), identity_frame()]}))
    with pytest.raises(PoseDataError, match=r"clip\.txt: urdf: no humanoid\.urdf beside the clip"):
        load_deepmimic(path)


def test_urdf_that_is_not_the_humanoid(tmp_path: Path) -> None:
    urdf = tmp_path / "robot.urdf"
    urdf.write_text('<robot name="arm"><link name="base"/><joint name="root" type="fixed"/></robot>')
    path = tmp_path / "clip.txt"
    path.write_text(json.dumps({"Frames": [identity_frame(), identity_frame()]}))
    with pytest.raises(PoseDataError, match=r"robot\.urdf: urdf: not the DeepMimic humanoid: missing joints chest"):
        load_deepmimic(path, urdf=urdf)


def test_broken_urdf_xml(tmp_path: Path) -> None:
    urdf = tmp_path / "broken.urdf"
    urdf.write_text("<robot><joint name=")
    path = tmp_path / "clip.txt"
    path.write_text(json.dumps({"Frames": [identity_frame(), identity_frame()]}))
    with pytest.raises(PoseDataError, match=r"broken\.urdf: urdf: not valid XML"):
        load_deepmimic(path, urdf=urdf)


@needs_mocap
def test_urdf_whose_joint_types_do_not_fit_the_layout(tmp_path: Path) -> None:
    text = URDF.read_bytes().replace(b"\x00", b"").decode()
    urdf = tmp_path / "odd.urdf"
    urdf.write_text(text.replace('<joint name="left_knee" type="revolute"', '<joint name="left_knee" type="spherical"'))
    path = tmp_path / "clip.txt"
    path.write_text(json.dumps({"Frames": [identity_frame(), identity_frame()]}))
    with pytest.raises(PoseDataError, match=r"odd\.urdf: urdf: joint types give 47 floats a frame, not 44"):
        load_deepmimic(path, urdf=urdf)
