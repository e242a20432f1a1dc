"""Cameras for synthetic clips of a video study: the source video's own camera, or a drawn view framed into the
letterbox picture of a source video (generation.videos.geometry), so that synthetic and real frames share framing."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from generation.dataset.rendering import ClipJob
from generation.dataset.settings import RenderSettings
from generation.render import Camera, View, frame_body
from generation.videos.geometry import FrameGeometry
from generation.videos.look import LookError, SourceLook

SOURCE_VIEW = View("source", 0.0)  # names a clip seen by its source video's camera (the camera itself is explicit)


def source_camera_job(joints: np.ndarray, fps: float, look: SourceLook, size: int) -> tuple[np.ndarray, Camera]:
    """The clip (T, 22, 3) canonical joints at fps, seen as its source video's camera saw the real person.

    Returns (placed joints (T, 22, 3), a one-entry Camera). The camera sits at the world origin with the fitted
    rotation; its vertical field of view spans the whole square frame at the source's focal length times the
    letterbox scale (the content is centred, so the principal point stays the frame centre). Frame k's joints are
    made root-relative and moved to R^T root_k, the fitted root track resampled to T frames at fps: the body then
    sits and moves in the picture where the real person did."""
    cam = look.camera
    if cam is None:
        raise LookError(f"{look.video}: no source camera (the camera fit failed)")
    joints = np.asarray(joints, dtype=np.float64)
    geometry = FrameGeometry(look.geometry.source_size, size)
    # Focal length in output pixels: the source's, in the geometry's source pixels, times the letterbox scale.
    focal = cam.focal_px * (geometry.source_size[1] / cam.image_size[1]) * geometry.scale
    fov = 2.0 * math.atan((size / 2.0) / focal)
    rotation = np.asarray(cam.rotation, dtype=np.float64)
    root = cam.root_at(joints.shape[0], fps)  # (T, 3) camera frame
    # Camera at the origin: x_cam = R x_world, so x_world = J + R^T root_k puts J's root where the camera saw it.
    placed = joints - joints[:, :1] + (root @ rotation)[:, None, :]
    camera = Camera(rotation=torch.tensor(rotation[None], dtype=torch.float32),
                    position=torch.zeros(1, 3, dtype=torch.float32),
                    fov=torch.tensor([fov], dtype=torch.float32))
    return placed.astype(np.float32), camera


def letterbox_camera(joints: np.ndarray, view: View, geometry: FrameGeometry) -> Camera:
    """A drawn view framed into geometry's content rectangle (not the whole square), as one Camera for a square
    frame of geometry.size: the body fills view.fill of the picture's height, inside the bars."""
    x0, y0, width, height = geometry.content
    clip = torch.as_tensor(np.asarray(joints, dtype=np.float32))
    inner = frame_body(clip, view, (height, width))
    # The same focal length in pixels for the whole square: tan(fov/2) grows by size / content height.
    fov = 2.0 * torch.atan(torch.tan(inner.fov / 2.0) * (geometry.size / height))
    return Camera(rotation=inner.rotation, position=inner.position, fov=fov)


class Dressing:
    """Makes a video study's synthetic clip look like the footage: camera, plate and letterbox bars per job."""

    def __init__(self, looks: dict[str, SourceLook], settings: RenderSettings, seed: int) -> None:
        self.SOURCE = SOURCE_VIEW
        self.looks, self.size = looks, settings.size
        self.source_camera = settings.camera == "source"
        self.plates = settings.background == "plates"
        what = " and ".join(f"render.{k}: {v}" for k, v in (("camera", settings.camera),
                                                             ("background", settings.background))
                            if v not in ("views", "auto"))
        if what and not looks:
            raise LookError(f"{what}: needs a video study (data.videos); this study has no source videos")
        for look in looks.values():
            if look.geometry.size != settings.size:
                raise LookError(f"{look.video}: geometry: frames of {look.geometry.size} px, the study renders "
                                f"{settings.size} px")
        # Plates in a fixed order and drawn from their own generator: the views drawn stay those of background auto.
        self.plate_looks = [looks[k] for k in sorted(looks) if looks[k].plate is not None]
        if self.plates and not self.plate_looks:
            raise LookError("render.background: plates: no clean plate of any train video")
        self.plate_rng = np.random.default_rng([seed, 1, 0x9A7E])
        self.loaded: dict[Path, np.ndarray] = {}
        self.masks: dict[tuple, np.ndarray] = {}
        self.no_camera: set[str] = set()

    def has_camera(self, source: str) -> bool:
        look = self.looks.get(source)
        if look is not None and look.camera is not None:
            return True
        self.no_camera.add(source)
        return False

    def dress(self, job: ClipJob, source: str) -> tuple[ClipJob, str]:
        own = self.looks.get(source)
        plate_look = None
        if self.plates:
            if job.view is self.SOURCE and own.plate is not None:
                plate_look = own
            else:
                # A source without a plate of its own: a plate of the same picture shape first (the bars match).
                same = [look for look in self.plate_looks if job.view is self.SOURCE
                        and look.geometry.source_size == own.geometry.source_size]
                pool = same or self.plate_looks
                plate_look = pool[int(self.plate_rng.integers(len(pool)))]
        if job.view is self.SOURCE:
            joints, camera = source_camera_job(job.joints, job.fps, own, self.size)
            geometry = own.geometry
        else:
            geometry = plate_look.geometry if plate_look is not None else (own.geometry if own else None)
            if geometry is None:  # a pose-file source in a video study: no bars to copy
                return job, ""
            joints, camera = job.joints, letterbox_camera(job.joints, job.view, geometry)
        background = None
        if plate_look is not None:
            if plate_look.plate not in self.loaded:
                self.loaded[plate_look.plate] = plate_look.load_plate()
            background = self.loaded[plate_look.plate]
        key = (geometry.source_size, geometry.size)
        if key not in self.masks:
            self.masks[key] = geometry.content_mask()
        dressed = replace(job, joints=joints, camera=camera, background=background, mask=self.masks[key])
        return dressed, str(plate_look.plate) if plate_look is not None else ""
