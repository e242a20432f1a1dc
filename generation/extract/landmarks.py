"""MediaPipe Pose's 33 landmarks -> H36M-17 -> SMPL-22, so extracted clips enter the pipeline exactly like
StridedTransformer output (the same H36M-17 -> SMPL-22 mapping, root-relative, y down).

MediaPipe's pose_world_landmarks are metric and centred on the hip mid-point, with x along the image's x (right),
y along the image's y (down) and z growing away from the camera (the same sign as the image landmarks' z, "smaller
is closer"). That is already the canonical frame (x right, y down, z forward, metres): no axis change is needed.
tests/generation/extract checks it on a real video (head above feet, the subject's left on the image's right when
facing the camera).
"""

from __future__ import annotations

import numpy as np

from generation.poses.joints import h36m17_to_smpl22

MEDIAPIPE33_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
_MP = {name: i for i, name in enumerate(MEDIAPIPE33_NAMES)}
LEFT_HIP, RIGHT_HIP = _MP["left_hip"], _MP["right_hip"]

# H36M joints that MediaPipe has directly (H36M index -> MediaPipe index).
_DIRECT: dict[int, int] = {
    1: _MP["right_hip"], 2: _MP["right_knee"], 3: _MP["right_ankle"],
    4: _MP["left_hip"], 5: _MP["left_knee"], 6: _MP["left_ankle"],
    9: _MP["nose"],
    11: _MP["left_shoulder"], 12: _MP["left_elbow"], 13: _MP["left_wrist"],
    14: _MP["right_shoulder"], 15: _MP["right_elbow"], 16: _MP["right_wrist"],
}

# Limbs whose length a person keeps whatever the pose: a detection that stretches one far from its usual length is
# an estimator failure (motion blur, back light, the tracker sliding onto someone else), not motion.
LIMBS: dict[str, tuple[int, int]] = {
    "left_thigh": (_MP["left_hip"], _MP["left_knee"]), "right_thigh": (_MP["right_hip"], _MP["right_knee"]),
    "left_shin": (_MP["left_knee"], _MP["left_ankle"]), "right_shin": (_MP["right_knee"], _MP["right_ankle"]),
    "left_upper_arm": (_MP["left_shoulder"], _MP["left_elbow"]),
    "right_upper_arm": (_MP["right_shoulder"], _MP["right_elbow"]),
    "left_forearm": (_MP["left_elbow"], _MP["left_wrist"]), "right_forearm": (_MP["right_elbow"], _MP["right_wrist"]),
}

# H36M's head joint sits near the crown: thorax -> head is ~0.24 m on the H36M subjects, while MediaPipe's
# shoulder mid-point -> ear mid-point is ~0.17 m. Extending the thorax -> ears line by 40 % lands near the crown and
# scales with the body (a fixed offset in metres would not suit a child).
HEAD_EXTENSION = 0.4


def mediapipe33_to_h36m17(landmarks: np.ndarray) -> np.ndarray:
    """(..., 33, 3) MediaPipe world landmarks -> (..., 17, 3) H36M joints, pelvis at the origin, float64.

    pelvis = hip mid-point; thorax = shoulder mid-point; spine = mid-point of pelvis and thorax (H36M's spine joint
    sits about half-way up the trunk); neck/nose = nose (SynthDa's SMPL mapping never reads it); head = ear
    mid-point pushed along thorax -> ears by HEAD_EXTENSION.
    """
    src = np.asarray(landmarks, dtype=np.float64)
    if src.shape[-2:] != (33, 3):
        raise ValueError(f"expected (..., 33, 3) MediaPipe landmarks, got {src.shape}")
    out = np.empty(src.shape[:-2] + (17, 3), dtype=np.float64)
    for dst, idx in _DIRECT.items():
        out[..., dst, :] = src[..., idx, :]
    pelvis = (src[..., _MP["left_hip"], :] + src[..., _MP["right_hip"], :]) / 2
    thorax = (src[..., _MP["left_shoulder"], :] + src[..., _MP["right_shoulder"], :]) / 2
    ears = (src[..., _MP["left_ear"], :] + src[..., _MP["right_ear"], :]) / 2
    out[..., 0, :] = pelvis
    out[..., 7, :] = (pelvis + thorax) / 2
    out[..., 8, :] = thorax
    out[..., 10, :] = ears + HEAD_EXTENSION * (ears - thorax)
    # Root-relative like StridedTransformer's output (MediaPipe's origin is already near the hips; make it exact).
    return out - out[..., :1, :]


def mediapipe33_to_smpl22(landmarks: np.ndarray) -> np.ndarray:
    """(..., 33, 3) MediaPipe world landmarks -> (..., 22, 3) SMPL-22 via H36M-17 and SynthDa's exact mapping."""
    return h36m17_to_smpl22(mediapipe33_to_h36m17(landmarks))
