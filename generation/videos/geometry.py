"""How a user's video maps onto the study's square frames, and the camera that filmed it.

One policy for real and synthetic frames alike: LETTERBOX. The upright video is scaled so that its longer side spans
the study's `size`, centred, and the rest of the square is black bars. Nothing of the scene is cut (a centre crop of
a portrait phone video would cut the person's head or feet), and a synthetic clip rendered into the same content
rectangle, with the same bars, cannot be told from a real one by its framing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FrameGeometry:
    """source_size: (width, height) of the upright source video in pixels; size: the study's square frame edge."""

    source_size: tuple[int, int]
    size: int

    @property
    def scale(self) -> float:
        """Output pixels per source pixel."""
        width, height = self.source_size
        return self.size / max(width, height)

    @property
    def content(self) -> tuple[int, int, int, int]:
        """(x0, y0, width, height) of the picture inside the square frame; the rest is bars."""
        width, height = self.source_size
        w = max(1, round(width * self.scale))
        h = max(1, round(height * self.scale))
        return (self.size - w) // 2, (self.size - h) // 2, w, h

    def to_frame(self, xy: np.ndarray) -> np.ndarray:
        """Source pixel coordinates (..., 2) -> output frame pixel coordinates (pixel centres at +0.5)."""
        x0, y0, w, h = self.content
        width, height = self.source_size
        xy = np.asarray(xy, dtype=np.float64)
        return np.stack([x0 + xy[..., 0] * (w / width), y0 + xy[..., 1] * (h / height)], axis=-1)

    def content_mask(self) -> np.ndarray:
        """(size, size) bool, True inside the picture."""
        x0, y0, w, h = self.content
        mask = np.zeros((self.size, self.size), dtype=bool)
        mask[y0:y0 + h, x0:x0 + w] = True
        return mask


@dataclass(frozen=True)
class SourceCamera:
    """The camera that filmed a source video, fitted to its pose track (generation.videos.camera_fit).

    Pinhole, principal point at the image centre, no distortion. A joint J (canonical frame, root-relative, metres)
    of frame k sits at X = rotation @ J + root[k] in camera coordinates (x right, y down, z along the optical axis)
    and is seen at pixel (cx + f X_x / X_z, cy + f X_y / X_z) of the upright source image, with
    f = (height / 2) / tan(fov_y / 2) and (cx, cy) = (width / 2, height / 2).

    rotation: (3, 3) canonical -> camera. fov_y: vertical field of view of the source image, radians. root: (T, 3)
    camera-frame position of joint 0 (the pelvis) per pose frame, at `fps`. residual_px: RMS reprojection error in
    source pixels (how much to trust it).
    """

    rotation: np.ndarray
    fov_y: float
    image_size: tuple[int, int]
    root: np.ndarray
    fps: float
    residual_px: float = 0.0

    @property
    def focal_px(self) -> float:
        return (self.image_size[1] / 2) / math.tan(self.fov_y / 2)

    def project(self, joints: np.ndarray) -> np.ndarray:
        """(T, J, 3) root-relative canonical joints -> (T, J, 2) source pixels, with this camera's root track
        (T must match root's length)."""
        cam = np.einsum("ij,tkj->tki", self.rotation, joints) + self.root[:, None, :]
        f = self.focal_px
        cx, cy = self.image_size[0] / 2, self.image_size[1] / 2
        return np.stack([cx + f * cam[..., 0] / cam[..., 2], cy + f * cam[..., 1] / cam[..., 2]], axis=-1)

    def root_at(self, frames: int, fps: float) -> np.ndarray:
        """The root track resampled to `frames` frames at `fps` (time-aligned from the start; the last position is
        held past the track's end)."""
        t_src = np.arange(len(self.root)) / self.fps
        t_dst = np.arange(frames) / fps
        return np.stack([np.interp(t_dst, t_src, self.root[:, i]) for i in range(3)], axis=-1)

    def to_dict(self) -> dict:
        return {"rotation": self.rotation.tolist(), "fov_y": self.fov_y, "image_size": list(self.image_size),
                "root": self.root.tolist(), "fps": self.fps, "residual_px": self.residual_px}

    @classmethod
    def from_dict(cls, data: dict) -> SourceCamera:
        return cls(np.asarray(data["rotation"], dtype=np.float64), float(data["fov_y"]),
                   (int(data["image_size"][0]), int(data["image_size"][1])),
                   np.asarray(data["root"], dtype=np.float64).reshape(-1, 3), float(data["fps"]),
                   float(data.get("residual_px", 0.0)))
