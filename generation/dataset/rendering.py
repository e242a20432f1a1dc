"""Render lists of pose clips of different lengths in batches and write them as TAO frame folders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from generation.body import render_smpl_clips
from generation.dataset.settings import BODIES, RenderSettings
from generation.render import RenderError, View, frame_body, render_clips
from generation.writers import write_frame_folders


@dataclass(frozen=True)
class ClipJob:
    """One video to produce: joints (T, 22, 3), the view, its seed, where the frame folder goes, its frame rate."""

    joints: np.ndarray
    view: View
    seed: int
    clip_dir: Path
    fps: float = 30.0


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
            frames = render_smpl_clips([job.joints for job in batch], [job.view for job in batch], size,
                                       model_dir=settings.smpl_model_dir, seed=batch[0].seed, device=device,
                                       options=settings.options(), sources=[job.clip_dir for job in batch])
        else:
            longest = max(job.joints.shape[0] for job in batch)
            padded = np.stack([_pad(job.joints, longest) for job in batch]).astype(np.float32)
            joints = torch.from_numpy(padded).to(device)
            cameras = frame_body(joints, [job.view for job in batch], size)
            frames = render_clips(joints, cameras, size, seed=batch[0].seed, device=device, options=settings.options())
        frames = frames.cpu().numpy()
        write_frame_folders(
            [(frames[i, : job.joints.shape[0]], job.clip_dir) for i, job in enumerate(batch)], fmt=settings.format
        )
        if on_clip is not None:
            for i, job in enumerate(batch):
                on_clip(job, frames[i, : job.joints.shape[0]])
        progress.update(len(batch))
    progress.close()


def _pad(joints: np.ndarray, length: int) -> np.ndarray:
    missing = length - joints.shape[0]
    if missing <= 0:
        return joints
    return np.concatenate([joints, np.repeat(joints[-1:], missing, axis=0)], axis=0)


def _torch_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)
