"""fit_source_camera: a known camera recovered from projected joints, and real footage (4 views of one take)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from generation.extract.landmarks import MEDIAPIPE33_NAMES, mediapipe33_to_smpl22
from generation.poses import load_poses
from generation.poses.sequence import PoseSequence
from generation.videos.camera_fit import CameraFitError, fit_source_camera, observed_joints
from testing.demo_poses import walking_clip

MP = {name: i for i, name in enumerate(MEDIAPIPE33_NAMES)}


def mediapipe_points(smpl: np.ndarray) -> np.ndarray:
    """(T, 33, 3) MediaPipe-ordered points of an SMPL-22 clip: the landmarks the mapping reads, placed so that it
    maps them back onto the clip's limbs (the others sit at the head)."""
    out = np.repeat(smpl[:, 15:16], 33, axis=1)
    for side, offset in (("left", 0), ("right", 1)):
        for name, joint in (("hip", 1), ("knee", 4), ("ankle", 7), ("shoulder", 16), ("elbow", 18), ("wrist", 20)):
            out[:, MP[f"{side}_{name}"]] = smpl[:, joint + offset]
    thorax = (smpl[:, 16] + smpl[:, 17]) / 2
    ears = (smpl[:, 15] + 0.4 * thorax) / 1.4  # HEAD_EXTENSION undone: the mapped head is the clip's head
    out[:, MP["left_ear"]] = out[:, MP["right_ear"]] = ears
    return out


def filmed(rotation: np.ndarray, offset: np.ndarray, fov_deg: float, size=(640, 480), noise_px: float = 0.0,
           frames: int = 48):
    """A walk filmed by a known camera: (pose sequence with image landmarks, true root track)."""
    world = mediapipe_points(walking_clip(frames, heading_deg=-60).astype(np.float64))
    pelvis = (world[:, MP["left_hip"]] + world[:, MP["right_hip"]]) / 2
    cam = np.einsum("ij,tkj->tki", rotation, world) + offset
    width, height = size
    focal = (height / 2) / math.tan(math.radians(fov_deg) / 2)
    uv = np.stack([width / 2 + focal * cam[..., 0] / cam[..., 2], height / 2 + focal * cam[..., 1] / cam[..., 2]], -1)
    uv += np.random.default_rng(0).normal(0.0, noise_px, uv.shape)
    image = np.concatenate([uv / np.array([width, height]), np.ones(uv.shape[:-1] + (1,))], axis=-1)
    seq = PoseSequence(joints=mediapipe33_to_smpl22(world).astype(np.float32), fps=30.0, source="walk.mp4",
                       meta={"image_size": list(size)}, image_landmarks=image)
    return seq, np.einsum("ij,tj->ti", rotation, pelvis) + offset


@pytest.mark.parametrize("noise_px", [0.0, 1.0])
def test_recovers_a_known_camera(noise_px):
    rotation = Rotation.from_euler("xy", [15, 20], degrees=True).as_matrix()  # 15 deg pitch, 20 deg yaw
    seq, root = filmed(rotation, np.array([0.3, -0.2, 4.0]), 50.0, noise_px=noise_px)
    camera = fit_source_camera(seq)
    assert np.degrees(Rotation.from_matrix(camera.rotation @ rotation.T).magnitude()) < 2.0
    assert math.degrees(camera.fov_y) == pytest.approx(50.0, rel=0.05)
    assert np.max(np.linalg.norm(camera.root - root, axis=1) / np.linalg.norm(root, axis=1)) < 0.05
    assert camera.residual_px < 0.5 + 2 * noise_px
    assert camera.image_size == (640, 480) and camera.fps == 30.0 and camera.root.shape == (48, 3)


def test_identity_start_is_not_what_it_returns():
    # A camera far from the start (identity rotation, 55 deg) must move the fit there.
    rotation = Rotation.from_euler("xy", [-10, -35], degrees=True).as_matrix()
    seq, _ = filmed(rotation, np.array([-0.4, 0.1, 6.0]), 35.0)
    camera = fit_source_camera(seq)
    assert np.degrees(Rotation.from_matrix(camera.rotation @ rotation.T).magnitude()) < 2.0
    assert math.degrees(camera.fov_y) == pytest.approx(35.0, rel=0.05)


def test_no_image_landmarks_is_a_one_line_error():
    seq = PoseSequence(joints=walking_clip(8), source="poses/lunge/a.npz")
    with pytest.raises(CameraFitError, match=r"^poses/lunge/a.npz: image_landmarks: none in this pose file") as exc:
        fit_source_camera(seq)
    assert "\n" not in str(exc.value)


def test_too_few_visible_points_is_a_one_line_error():
    seq, _ = filmed(np.eye(3), np.array([0.0, 0.0, 4.0]), 50.0, frames=10)
    image = seq.image_landmarks.copy()
    image[..., 2] = 0.1  # MediaPipe sees nobody clearly (occluded, out of frame)
    hidden = PoseSequence(joints=seq.joints, source="a.mp4", meta=seq.meta, image_landmarks=image)
    with pytest.raises(CameraFitError, match=r"^a.mp4: image_landmarks: too few visible points"):
        fit_source_camera(hidden)


def _facing_azimuth(camera, joints: np.ndarray) -> float:
    """Direction of the body's left-right hip line in the camera's x-z plane, degrees, averaged over the clip."""
    hips = np.einsum("ij,tj->ti", camera.rotation, (joints[:, 1] - joints[:, 2]).astype(np.float64)).mean(axis=0)
    return math.degrees(math.atan2(hips[2], hips[0]))


def test_real_views_fit_closely_and_differ(real_poses, real_clips):
    poses, _ = real_poses
    azimuths = []
    for clip in real_clips[:4]:  # the lunge take's 4 views
        seq = load_poses(poses.files[str(clip.path)])
        camera = fit_source_camera(seq)
        points, visibility, (width, height) = observed_joints(seq)
        assert camera.image_size == (width, height)
        assert camera.residual_px < 0.03 * height
        pelvis = np.linalg.norm(camera.project(seq.joints)[:, 0] - points[:, 0], axis=-1)
        assert np.max(pelvis) < 0.02 * height  # the body sits where the real person was
        assert 20 < math.degrees(camera.fov_y) < 100 and np.all(camera.root[:, 2] > 1.0)
        azimuths.append(_facing_azimuth(camera, seq.joints))
    # Four cameras around one person: each sees the body turned its own way.
    gaps = [abs((a - b + 180) % 360 - 180) for i, a in enumerate(azimuths) for b in azimuths[i + 1:]]
    assert min(gaps) > 20, azimuths
