"""Render lists of pose clips of different lengths in batches and write them as TAO frame folders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from generation.body import render_smpl_clips
from generation.dataset.settings import BODIES, RenderSettings
from generation.render import Camera, RenderError, View, frame_body, make_backgrounds, render_clips
from generation.writers import write_frame_folders


@dataclass(frozen=True)
class ClipJob:
    """One video to produce: joints (T, 22, 3), the view, its seed, where the frame folder goes, its frame rate.

    Video studies add what makes a clip look like a source video: camera (one entry; used as is, the view then only
    names it), background ((size, size, 3) uint8, used as is: no crop, flip or zoom) and mask ((size, size) bool, the
    letterbox content: pixels outside are set to black after rendering, as the real frames' bars are)."""

    joints: np.ndarray
    view: View
    seed: int
    clip_dir: Path
    fps: float = 30.0
    camera: Camera | None = None
    background: np.ndarray | None = field(default=None, repr=False)
    mask: np.ndarray | None = field(default=None, repr=False)


def render_and_write(
    jobs: Sequence[ClipJob],
    settings: RenderSettings,
    *,
    desc: str = "render",
    on_clip: Callable[[ClipJob, np.ndarray], None] | None = None,
) -> None:
    """Render jobs in batches (clips sorted by length and padded with their last frame) and write each frame folder.

    on_clip, when given, also receives each clip's (T, H, W, 3) uint8 frames (for previews) without rendering twice.
    """
    if settings.body not in BODIES:
        raise RenderError(f"body: unknown body {settings.body!r} (known: {', '.join(BODIES)})")
    order = sorted(range(len(jobs)), key=lambda i: jobs[i].joints.shape[0])
    device = _torch_device(settings.device)
    size = (settings.size, settings.size)
    progress = tqdm(total=len(jobs), desc=desc, unit="clip", disable=None)
    for start in range(0, len(order), settings.batch_clips):
        batch = [jobs[i] for i in order[start : start + settings.batch_clips]]
        # The batch's first seed drives per-clip appearance (clip i of the batch draws from (seed, i)); batches are
        # formed deterministically from the job list, so the same jobs give the same bytes.
        if settings.body == "smpl":
            if any(job.camera is not None or job.background is not None for job in batch):
                raise RenderError("body: smpl cannot render source cameras or plates yet (render.camera: source, "
                                  "render.background: plates); use body: mannequin")
            frames = render_smpl_clips([job.joints for job in batch], [job.view for job in batch], size,
                                       model_dir=settings.smpl_model_dir, seed=batch[0].seed, device=device,
                                       options=settings.options(), sources=[job.clip_dir for job in batch])
        else:
            longest = max(job.joints.shape[0] for job in batch)
            padded = np.stack([_pad(job.joints, longest) for job in batch]).astype(np.float32)
            joints = torch.from_numpy(padded).to(device)
            cameras = _cameras(joints, batch, size)
            backgrounds = _backgrounds(batch, settings, size, device)
            frames = render_clips(joints, cameras, size, seed=batch[0].seed, device=device, options=settings.options(),
                                  backgrounds=backgrounds)
        frames = frames.cpu().numpy()
        for i, job in enumerate(batch):
            if job.mask is not None:
                frames[i][:, ~_check_mask(job, size)] = 0
        write_frame_folders(
            [(frames[i, : job.joints.shape[0]], job.clip_dir) for i, job in enumerate(batch)], fmt=settings.format
        )
        if on_clip is not None:
            for i, job in enumerate(batch):
                on_clip(job, frames[i, : job.joints.shape[0]])
        progress.update(len(batch))
    progress.close()


def _cameras(joints: torch.Tensor, batch: Sequence[ClipJob], size: tuple[int, int]) -> Camera:
    """One camera per clip: framed from the view (all at once, as before explicit cameras), or the job's own."""
    framed = [i for i, job in enumerate(batch) if job.camera is None]
    if len(framed) == len(batch):
        return frame_body(joints, [job.view for job in batch], size)
    auto = frame_body(joints[framed], [batch[i].view for i in framed], size) if framed else None
    slot = {b: k for k, b in enumerate(framed)}
    parts = [auto[slot[i]] if job.camera is None else _one_camera(job) for i, job in enumerate(batch)]
    return Camera.cat([c.to(joints.device, torch.float32) for c in parts])


def _one_camera(job: ClipJob) -> Camera:
    if len(job.camera) != 1:
        raise RenderError(f"{job.clip_dir}: camera: expected one camera per clip, got {len(job.camera)}")
    return job.camera


def _backgrounds(batch: Sequence[ClipJob], settings: RenderSettings, size: tuple[int, int],
                 device: torch.device) -> torch.Tensor | None:
    """None (the appearance's own backgrounds, as before) unless a job brings its own: then (B, H, W, 3), the
    appearance's background for the others (the same one they would get without the given ones)."""
    if all(job.background is None for job in batch):
        return None
    drawn = make_backgrounds(settings.options(), len(batch), size, batch[0].seed, device)
    out = drawn.expand(len(batch), *drawn.shape[1:]).clone()
    for i, job in enumerate(batch):
        if job.background is not None:
            bg = np.asarray(job.background)
            if bg.shape != (*size, 3) or bg.dtype != np.uint8:
                raise RenderError(f"{job.clip_dir}: background: expected a ({size[0]}, {size[1]}, 3) uint8 image, "
                                  f"got {bg.shape} {bg.dtype}")
            out[i] = torch.tensor(bg, device=device)  # a copy: plates read from files are read-only
    return out


def _check_mask(job: ClipJob, size: tuple[int, int]) -> np.ndarray:
    mask = np.asarray(job.mask)
    if mask.shape != size or mask.dtype != np.bool_:
        raise RenderError(f"{job.clip_dir}: mask: expected a {size[0]} x {size[1]} bool array, got {mask.shape} "
                          f"{mask.dtype}")
    return mask


def _pad(joints: np.ndarray, length: int) -> np.ndarray:
    missing = length - joints.shape[0]
    if missing <= 0:
        return joints
    return np.concatenate([joints, np.repeat(joints[-1:], missing, axis=0)], axis=0)


def _torch_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
