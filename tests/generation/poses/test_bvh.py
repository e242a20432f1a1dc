from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from generation.errors import PoseDataError
from generation.poses import SMPL22_NAMES, estimate_stature, feet_height, load_poses
from generation.poses.bvh import forward_kinematics, load_bvh, parse_bvh
from generation.poses.bvh_rigs import BOXING, CMU_CGSPEED, MOCAPBANK, RIGS

MOCAP = Path(__file__).resolve().parents[3].parent / "shared" / "mocap"
BVH_DIR = MOCAP / "bvh"
needs_mocap = pytest.mark.skipif(not BVH_DIR.is_dir(), reason=f"shared mocap not present at {BVH_DIR}")

# (file, rig, fps) of the real takes.
REAL = [("01_01.bvh", "cmu_cgspeed", 120.0), ("Boxing_Toes.bvh", "boxing", 100.0), ("test_mocapbank.bvh", "mocapbank", 30.0)]

TINY = """HIERARCHY
ROOT Root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Mid
  {
    OFFSET 0 2 0
    CHANNELS 3 Xrotation Yrotation Zrotation
    End Site
    {
      OFFSET 1 0 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.5
1 2 3 0 0 0 0 0 0
0 0 0 90 0 0 0 90 0
0 0 0 0 0 0 90 90 0
"""


def write(tmp_path: Path, text: str, name: str = "tiny.bvh") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def facing_left_side(joints: np.ndarray) -> np.ndarray:
    """Per frame, the cosine between r_hip -> l_hip and the subject's left, up x forward, in the canonical frame
    (up = -y); forward is the horizontal ankle -> foot direction."""
    up = np.array([0.0, -1.0, 0.0])
    forward = joints[:, [10, 11]].mean(axis=1) - joints[:, [7, 8]].mean(axis=1)
    forward[:, 1] = 0.0
    left = np.cross(up, forward)
    hips = joints[:, 1] - joints[:, 2]
    return np.sum(hips * left, axis=1) / (np.linalg.norm(hips, axis=1) * np.linalg.norm(left, axis=1))


# --- forward kinematics on a hand-checked skeleton -------------------------------------------------------------------


def test_tiny_bvh_parses(tmp_path: Path) -> None:
    clip = parse_bvh(write(tmp_path, TINY))
    assert clip.names == ("Root", "Mid")
    assert clip.parents == (-1, 0)
    assert clip.channels[1] == ("Xrotation", "Yrotation", "Zrotation")
    assert clip.channel_start == (0, 6)
    assert clip.motion.shape == (3, 9)
    assert clip.fps == pytest.approx(2.0)
    assert clip.point_names() == ["Root", "Mid", "Mid.end"]
    np.testing.assert_array_equal(clip.end_sites[1], [1.0, 0.0, 0.0])


def test_tiny_bvh_forward_kinematics_matches_hand_computation(tmp_path: Path) -> None:
    pts = forward_kinematics(parse_bvh(write(tmp_path, TINY)))
    # Frame 0: root translated to (1, 2, 3), no rotation.
    np.testing.assert_allclose(pts[0], [[1, 2, 3], [1, 4, 3], [2, 4, 3]], atol=1e-12)
    # Frame 1: root Rz(90) turns the (0, 2, 0) offset to (-2, 0, 0); Mid's Ry(90) sends (1, 0, 0) to (0, 0, -1), which
    # Rz(90) leaves alone.
    np.testing.assert_allclose(pts[1], [[0, 0, 0], [-2, 0, 0], [-2, 0, -1]], atol=1e-12)
    # Frame 2: Mid's channels are X then Y, so R = Rx(90) @ Ry(90): (1,0,0) -> (0,0,-1) -> (0,1,0). The other order
    # (Ry @ Rx) would give (0, 0, -1): this pins the intrinsic, as-listed channel order.
    np.testing.assert_allclose(pts[2], [[0, 0, 0], [0, 2, 0], [0, 3, 0]], atol=1e-12)


def test_root_order_zxy_differs_from_xyz(tmp_path: Path) -> None:
    # Root Z=90 then X=90 (ZXY as declared): R = Rz @ Rx; Mid's offset (0, 2, 0) -> Rx: (0, 0, 2) -> Rz: (0, 0, 2).
    text = TINY.replace("Frames: 3", "Frames: 1").split("1 2 3 0 0 0 0 0 0")[0] + "0 0 0 90 90 0 0 0 0\n"
    pts = forward_kinematics(parse_bvh(write(tmp_path, text)))
    np.testing.assert_allclose(pts[0, 1], [0, 0, 2], atol=1e-12)


def test_position_channels_replace_offset_on_non_root_joint(tmp_path: Path) -> None:
    text = TINY.replace("CHANNELS 3 Xrotation Yrotation Zrotation", "CHANNELS 6 Xposition Yposition Zposition "
                        "Xrotation Yrotation Zrotation").replace("Frames: 3", "Frames: 1")
    text = text.split("1 2 3 0 0 0 0 0 0")[0] + "0 0 0 0 0 0 0 5 0 0 0 0\n"
    pts = forward_kinematics(parse_bvh(write(tmp_path, text)))
    np.testing.assert_allclose(pts[0, 1], [0, 5, 0], atol=1e-12)


# --- real takes ------------------------------------------------------------------------------------------------------


@needs_mocap
@pytest.mark.parametrize(("name", "rig", "fps"), REAL)
def test_real_bvh_loads_as_plausible_smpl22(name: str, rig: str, fps: float) -> None:
    seq = load_bvh(BVH_DIR / name, label="x")
    assert seq.joint_set == "smpl22" and seq.joints.shape[1:] == (22, 3)
    assert seq.joints.dtype == np.float32
    assert np.isfinite(seq.joints).all()
    assert seq.meta["rig"] == rig
    assert seq.fps == fps
    assert seq.label == "x"
    assert 1.4 <= estimate_stature(seq) <= 2.1
    # Frame 0 of every take is a standing pose (T-pose or rest): the lowest foot joint (ankle/ball of foot, a few cm
    # above the sole) must be within 0-10 cm of the floor, and the head well above the feet.
    assert -0.03 <= feet_height(seq)[0] <= 0.10
    assert seq.floor_y - seq.joints[0, 15, 1] > 1.2
    # Whole take: nothing sinks more than 5 cm under the floor.
    assert feet_height(seq).min() > -0.05


@needs_mocap
@pytest.mark.parametrize(("name", "rig", "fps"), REAL)
def test_left_joints_are_the_subjects_left(name: str, rig: str, fps: float) -> None:
    seq = load_bvh(BVH_DIR / name)
    # Frame 0 stands still with feet pointing forward, so the ankle -> toe direction is the facing direction.
    assert facing_left_side(seq.joints[:1])[0] > 0.8
    table = {"cmu_cgspeed": CMU_CGSPEED, "boxing": BOXING, "mocapbank": MOCAPBANK}[rig]
    assert table.sources(SMPL22_NAMES[1])[0].startswith("Left")
    assert table.sources(SMPL22_NAMES[2])[0].startswith("Right")


@needs_mocap
def test_load_poses_dispatches_bvh() -> None:
    seq = load_poses(BVH_DIR / "test_mocapbank.bvh", label="sit")
    assert seq.label == "sit" and seq.meta["format"] == "bvh"


@needs_mocap
def test_scale_override_changes_size() -> None:
    base = load_bvh(BVH_DIR / "test_mocapbank.bvh")
    double = load_bvh(BVH_DIR / "test_mocapbank.bvh", scale=0.02)
    assert estimate_stature(double) - 0.18 == pytest.approx(2 * (estimate_stature(base) - 0.18), rel=1e-4)


def test_every_rig_fills_all_smpl_joints() -> None:
    for rig in RIGS:
        assert set(rig.joints) == set(SMPL22_NAMES)


# --- bad input -------------------------------------------------------------------------------------------------------


def test_truncated_motion_names_frame_counts(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace("Frames: 3", "Frames: 5"), "short.bvh")
    with pytest.raises(PoseDataError, match=r"short\.bvh: MOTION: file ends after 3 of 5 frames"):
        parse_bvh(path)


@needs_mocap
def test_truncated_real_file(tmp_path: Path) -> None:
    lines = (BVH_DIR / "01_01.bvh").read_text().splitlines()
    path = write(tmp_path, "\n".join(lines[:400]) + "\n", "cut_01_01.bvh")
    with pytest.raises(PoseDataError, match=r"cut_01_01\.bvh: MOTION: file ends after \d+ of 2752 frames"):
        load_bvh(path)


def test_row_with_wrong_value_count_names_line_and_frame(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace("0 0 0 90 0 0 0 90 0", "0 0 0 90 0 0 0 90"), "row.bvh")
    with pytest.raises(PoseDataError, match=r"row\.bvh: MOTION: line 20 \(frame 1\): expected 9 values, got 8"):
        parse_bvh(path)


def test_non_numeric_motion_value(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace("0 0 0 90 0 0 0 90 0", "0 0 0 90 0 abc 0 90 0"), "nan.bvh")
    with pytest.raises(PoseDataError, match=r"nan\.bvh: MOTION: line 20 \(frame 1\): non-numeric .*'abc'"):
        parse_bvh(path)


def test_non_finite_motion_value(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace("0 0 0 90 0 0 0 90 0", "0 0 0 90 0 nan 0 90 0"), "inf.bvh")
    with pytest.raises(PoseDataError, match=r"inf\.bvh: MOTION: line 20 \(frame 1\): .*'nan'"):
        parse_bvh(path)


def test_non_numeric_offset(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace("OFFSET 0 2 0", "OFFSET 0 two 0"), "off.bvh")
    with pytest.raises(PoseDataError, match=r"off\.bvh: HIERARCHY: line 8: OFFSET of Mid: non-numeric value 'two'"):
        parse_bvh(path)


def test_missing_hierarchy(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace("HIERARCHY", "HIERARCHX"), "nohier.bvh")
    with pytest.raises(PoseDataError, match=r"nohier\.bvh: HIERARCHY: no HIERARCHY section"):
        parse_bvh(path)


def test_missing_motion(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.split("MOTION")[0], "nomotion.bvh")
    with pytest.raises(PoseDataError, match=r"nomotion\.bvh: MOTION: no MOTION section"):
        parse_bvh(path)


def test_unbalanced_braces(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace("    }\n  }\n}", "    }\n  }"), "brace.bvh")
    with pytest.raises(PoseDataError, match=r"brace\.bvh: HIERARCHY: .*missing '\}'"):
        parse_bvh(path)


def test_bad_channel_name(tmp_path: Path) -> None:
    path = write(tmp_path, TINY.replace("Xrotation Yrotation Zrotation", "Xrotation Yrotation Wrotation"), "ch.bvh")
    with pytest.raises(PoseDataError, match=r"ch\.bvh: HIERARCHY: line 9: Mid: bad channel list"):
        parse_bvh(path)


def test_unknown_rig_names_missing_smpl_joints_and_candidates(tmp_path: Path) -> None:
    path = write(tmp_path, TINY, "robot.bvh")
    with pytest.raises(PoseDataError, match=r"robot\.bvh: HIERARCHY: unknown rig") as info:
        load_bvh(path)
    message = str(info.value)
    assert "pelvis <- Hips" in message
    assert "l_hip <- " in message
    assert "\n" not in message


@needs_mocap
def test_unknown_rig_when_one_joint_renamed(tmp_path: Path) -> None:
    text = (BVH_DIR / "Boxing_Toes.bvh").read_text().replace("LeftElbow", "LeftArmBend")
    path = write(tmp_path, text, "renamed.bvh")
    with pytest.raises(PoseDataError, match=r"renamed\.bvh: HIERARCHY: .*closest is 'boxing'.*l_elbow <- LeftElbow"):
        load_bvh(path)


@needs_mocap
def test_forced_rig_and_bad_scale(tmp_path: Path) -> None:
    src = BVH_DIR / "test_mocapbank.bvh"
    with pytest.raises(PoseDataError, match=r"test_mocapbank\.bvh: rig: unknown rig 'nope'"):
        load_bvh(src, rig="nope")
    with pytest.raises(PoseDataError, match=r"test_mocapbank\.bvh: scale: must be a positive number"):
        load_bvh(src, scale=-1.0)
    copy = tmp_path / "copy.bvh"
    shutil.copy(src, copy)
    assert load_bvh(copy, rig="mocapbank").meta["rig"] == "mocapbank"


def test_estimate_floor_is_a_low_percentile_of_the_lowest_foot() -> None:
    from generation.poses.bvh import estimate_floor

    joints = np.zeros((100, 22, 3))
    joints[:, [7, 8, 10, 11], 1] = 0.30  # feet 30 cm above a floor that is not at y = 0
    joints[:, 10, 1] = np.linspace(0.25, 0.75, 100)
    joints[0, 11, 1] = -5.0  # one glitch frame must not set the floor
    assert estimate_floor(joints) == pytest.approx(0.255, abs=0.01)


@pytest.mark.parametrize(("header", "problem"), [("Frames: -2", "Frames: must be a positive whole number"),
                                                   ("Frames: inf", "Frames: must be a positive whole number"),
                                                   ("Frames: many", "Frames: non-numeric value 'many'")])
def test_bad_frames_header(tmp_path: Path, header: str, problem: str) -> None:
    path = write(tmp_path, TINY.replace("Frames: 3", header), "hdr.bvh")
    with pytest.raises(PoseDataError, match=rf"hdr\.bvh: MOTION: line 17: {problem}"):
        parse_bvh(path)
