"""Render lists of pose clips of different lengths in batches and write them as TAO frame folders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from generation.body import render_smpl_clips
from generation.render import RenderError, RenderOptions, View, frame_body, render_clips
from generation.writers import write_frame_folders

APPEARANCES = ("synthda", "randomized")
BODIES = ("mannequin", "smpl")


@dataclass(frozen=True)
class RenderSettings:
    """How a study's clips are rendered. Real and synthetic clips share them, so the recogniser cannot tell the two
    apart by looks (a classic shortcut): only the motion differs.

    size: frame edge in pixels (TAO resizes to 224 anyway; the embedded scorer uses less). real_views: views each real
    clip is rendered from (one video per view). synthetic_views: the views synthetic clips draw from, views_per_clip of
    them per blended pair. appearance: "synthda" (grey avatar on grey) or "randomized" (lights, colours, gradients).
    body: "mannequin" (licence-free capsules on the joints) or "smpl" (SMPL fitted to the joints and its mesh
    rendered; smpl_model_dir holds the user's SMPL_NEUTRAL.pkl, None: $SMPL_MODEL_DIR).
    """

    size: int = 224
    fmt: str = "jpg"
    real_views: str = "front"
    synthetic_views: str = "front,front-left,front-right,random:4"
    views_per_clip: int = 1
    appearance: str = "synthda"
    batch_clips: int = 16
    device: str = "auto"
    body: str = "mannequin"
    smpl_model_dir: str | None = None

    def options(self) -> RenderOptions:
        return RenderOptions.randomized() if self.appearance == "randomized" else RenderOptions()

    def torch_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def to_dict(self) -> dict:
        settings = asdict(self)
        if self.body == "mannequin":  # the mannequin's settings hash as before the SMPL option: caches stay valid
            del settings["body"], settings["smpl_model_dir"]
        return settings


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
    device = settings.torch_device()
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
            [(frames[i, : job.joints.shape[0]], job.clip_dir) for i, job in enumerate(batch)], fmt=settings.fmt
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
