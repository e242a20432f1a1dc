"""The camera that filmed a source video, fitted to the extractor's pose track (render.camera: source).

An extracted pose file holds two views of one person: SMPL-22 joints (canonical frame, root-relative, metres, from
MediaPipe's world landmarks) and MediaPipe's image landmarks of the same frames. The camera is what maps the first
onto the second: one rotation and one field of view for the clip, and a root (pelvis) position per frame, found by a
small robust least-squares fit of the reprojection error (SourceCamera's convention, generation.videos.geometry).

Scale: the joints are metric only as far as MediaPipe's world landmarks are (an average-sized body), so the fitted
distance is that of an average person of the real one's image size; rendering a body of that size from that camera
puts it where the real person was, the same size. The field of view is only weakly determined by a body a few metres
away (perspective within a body of 0.3 m depth), so a weak prior keeps it near a typical 55 degrees unless the data
say otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from generation.errors import AutoSynthDaError
from generation.poses.sequence import PoseSequence
from generation.videos.geometry import SourceCamera

START_FOV_DEG = 55.0
FOV_BOUNDS_DEG = (20.0, 100.0)
MIN_VISIBILITY = 0.5  # a landmark MediaPipe itself calls visible
MIN_VISIBLE_JOINTS = 6  # per frame, in at least half the frames: fewer cannot pin a rotation and a distance
_MIN_DEPTH = 0.05  # metres in front of the camera
# Weak prior on log focal length: a log-focal change of 1 (fov 55 -> ~23 or ~100 degrees) costs as much as this
# fraction of the image height of error on one joint. Small against the reprojection terms of a whole clip.
_PRIOR_FRACTION = 0.02
_LOSS_FRACTION = 0.02  # soft_l1 turns linear beyond this fraction of the image height (a misplaced landmark)


class CameraFitError(AutoSynthDaError):
    """A pose file the source camera cannot be fitted to (no image landmarks, too few visible points)."""


def _landmark_matrix() -> np.ndarray:
    """(22, 33): SMPL-22 point = matrix @ MediaPipe-33 points, the linear map mediapipe33_to_smpl22 applies to world
    points, without its root subtraction (so that it maps absolute image positions)."""
    from generation.extract.landmarks import LEFT_HIP, RIGHT_HIP, mediapipe33_to_smpl22

    basis = np.zeros((33, 33, 3))
    basis[np.arange(33), np.arange(33), 0] = 1.0
    relative = mediapipe33_to_smpl22(basis)[..., 0].T  # (22, 33)
    pelvis = np.zeros(33)
    pelvis[[LEFT_HIP, RIGHT_HIP]] = 0.5
    return relative + pelvis[None, :]


def observed_joints(seq: PoseSequence) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """(T, 22, 2) source pixels and (T, 22) visibility of the SMPL-22 joints from the image landmarks, and the image
    size (w, h). A joint made of several landmarks is as visible as the least visible of them."""
    image = seq.image_landmarks
    size = seq.meta.get("image_size")
    if image is None or not size:
        raise CameraFitError(f"{seq.source}: image_landmarks: none in this pose file (extract it with `poses extract` "
                             "to fit its camera)")
    width, height = int(size[0]), int(size[1])
    matrix = _landmark_matrix()
    pixels = np.asarray(image[..., :2], dtype=np.float64) * np.array([width, height])
    points = np.einsum("jl,tlc->tjc", matrix, pixels)
    vis = np.clip(np.asarray(image[..., 2], dtype=np.float64), 0.0, 1.0)
    used = np.abs(matrix) > 1e-9
    visibility = np.stack([vis[:, used[j]].min(axis=1) for j in range(22)], axis=1)
    return points, visibility, (width, height)


def _rotation(rvec: np.ndarray) -> np.ndarray:
    """Rodrigues: rotation vector -> (3, 3)."""
    angle = float(np.linalg.norm(rvec))
    if angle < 1e-12:
        return np.eye(3)
    k = rvec / angle
    cross = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross


def _focal(fov: float, height: int) -> float:
    return (height / 2) / math.tan(fov / 2)


def _linear_roots(joints: np.ndarray, points: np.ndarray, weights: np.ndarray, rotation: np.ndarray, focal: float,
                  centre: np.ndarray) -> np.ndarray:
    """(T, 3) per-frame root positions that best project joints onto points for a fixed rotation and focal length:
    u - cx = f X / Z is linear in the root once multiplied out (f t_x - (u - cx) t_z = (u - cx) P_z - f P_x)."""
    posed = np.einsum("ij,tkj->tki", rotation, joints)
    d = points - centre  # (T, J, 2)
    rows = np.zeros(d.shape[:2] + (2, 3))
    rows[..., 0, 0] = focal
    rows[..., 1, 1] = focal
    rows[..., :, 2] = -d
    rhs = d * posed[..., 2:3] - focal * posed[..., :2]
    a = rows.reshape(len(d), -1, 3)
    b = rhs.reshape(len(d), -1)
    w = np.repeat(weights, 2, axis=1)
    lhs = np.einsum("tni,tn,tnj->tij", a, w, a) + 1e-9 * np.eye(3)
    roots = np.linalg.solve(lhs, np.einsum("tni,tn,tn->ti", a, w, b)[..., None])[..., 0]
    roots[:, 2] = np.maximum(roots[:, 2], 2 * _MIN_DEPTH + np.max(-posed[..., 2], axis=1))
    return roots


def fit_camera(joints: np.ndarray, points: np.ndarray, visibility: np.ndarray, image_size: tuple[int, int],
               fps: float) -> SourceCamera:
    """Fit a SourceCamera so that it projects joints (T, J, 3, root-relative canonical) onto points (T, J, 2 source
    pixels), each joint weighted by its visibility (T, J) in [0, 1]."""
    from scipy.optimize import least_squares
    from scipy.sparse import lil_matrix

    joints = np.asarray(joints, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    frames, count = joints.shape[:2]
    width, height = image_size
    centre = np.array([width / 2, height / 2])
    weights = np.maximum(np.asarray(visibility, dtype=np.float64), 0.02)  # every frame keeps some hold on its root
    sqrt_w = np.sqrt(weights)[..., None]
    log_f0 = math.log(_focal(math.radians(START_FOV_DEG), height))
    log_f_lo = math.log(_focal(math.radians(FOV_BOUNDS_DEG[1]), height))
    log_f_hi = math.log(_focal(math.radians(FOV_BOUNDS_DEG[0]), height))
    prior = _PRIOR_FRACTION * height

    def residuals(x: np.ndarray) -> np.ndarray:
        rotation, focal = _rotation(x[:3]), math.exp(x[3])
        cam = np.einsum("ij,tkj->tki", rotation, joints) + x[4:].reshape(frames, 1, 3)
        depth = np.maximum(cam[..., 2:3], _MIN_DEPTH)
        error = (centre + focal * cam[..., :2] / depth - points) * sqrt_w
        return np.concatenate([error.ravel(), [prior * (x[3] - log_f0)]])

    sparsity = lil_matrix((frames * count * 2 + 1, 4 + 3 * frames), dtype=np.int8)
    sparsity[:, :4] = 1
    for t in range(frames):
        sparsity[t * count * 2:(t + 1) * count * 2, 4 + 3 * t:7 + 3 * t] = 1

    roots = _linear_roots(joints, points, weights, np.eye(3), math.exp(log_f0), centre)
    x0 = np.concatenate([np.zeros(3), [log_f0], roots.ravel()])
    lower = np.full_like(x0, -np.inf)
    upper = np.full_like(x0, np.inf)
    lower[3], upper[3] = log_f_lo, log_f_hi
    lower[6::3] = _MIN_DEPTH
    result = least_squares(residuals, x0, bounds=(lower, upper), jac_sparsity=sparsity, loss="soft_l1",
                           f_scale=_LOSS_FRACTION * height, x_scale="jac", max_nfev=200)
    x = result.x
    rotation, focal = _rotation(x[:3]), math.exp(x[3])
    camera = SourceCamera(rotation=rotation, fov_y=2 * math.atan((height / 2) / focal), image_size=(width, height),
                          root=x[4:].reshape(frames, 3).copy(), fps=float(fps))
    error = np.linalg.norm(camera.project(joints) - points, axis=-1)
    rms = float(np.sqrt(np.sum(weights * error**2) / np.sum(weights)))
    return SourceCamera(camera.rotation, camera.fov_y, camera.image_size, camera.root, camera.fps, residual_px=rms)


def fit_source_camera(seq: PoseSequence) -> SourceCamera:
    """The camera of seq's source video, from its joints and image landmarks (an extracted pose file).

    root[k] is the pelvis in frame k of the pose file, i.e. source video frame meta["frame_range"][0] + k.
    Raises CameraFitError (one line) when the file has no image landmarks or too few visible points."""
    points, visibility, size = observed_joints(seq)
    visible = (visibility >= MIN_VISIBILITY).sum(axis=1)
    if np.mean(visible >= MIN_VISIBLE_JOINTS) < 0.5:
        raise CameraFitError(
            f"{seq.source}: image_landmarks: too few visible points to fit a camera (fewer than "
            f"{MIN_VISIBLE_JOINTS} visible joints in {np.mean(visible < MIN_VISIBLE_JOINTS):.0%} of frames)")
    return fit_camera(seq.joints, points, visibility, size, seq.fps)
