"""What a trial's synthetic clips looked like, kept after its frames are deleted: a few mp4s and one contact sheet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from generation.dataset import TrialManifest
from generation.writers import write_contact_sheet, write_mp4
from generation.writers.frames import RGB_SUBDIR
from optimizer.trials import PREVIEWS_DIR

PREVIEW_FPS = 30


def _read_clip(clip_dir: Path) -> np.ndarray:
    frames = sorted(p for p in (clip_dir / RGB_SUBDIR).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    return np.stack([np.asarray(Image.open(p).convert("RGB")) for p in frames])


def write_previews(trial_dir: str | Path, manifest: TrialManifest, count: int, *, real: int = 0) -> list[Path]:
    """mp4s of the first `count` synthetic clips (the first real clip of the target class when the trial has none,
    e.g. the ratio-0 baseline) and a contact sheet of them, under trial_dir/previews/. real: that many real train
    clips of the target class first, beside them (a video study: the footage the synthetic clips must look like).
    Returns the files written."""
    trial_dir = Path(trial_dir)
    if count <= 0:
        return []
    train = [c for c in manifest.clips if c.split == "train" and c.label == manifest.target_class]
    synthetic = [c for c in train if c.kind == "synthetic"][:count]
    real_clips = [c for c in train if c.kind == "real"]
    chosen = real_clips[:real] + synthetic if real and synthetic else synthetic or train[:1]
    out = trial_dir / PREVIEWS_DIR
    written: list[Path] = []
    clips, labels = [], []
    for record in chosen:
        clip = _read_clip(trial_dir / record.split / record.label / record.video)
        written.append(write_mp4(clip, out / f"{record.video}.mp4", fps=PREVIEW_FPS))
        clips.append(clip)
        labels.append(f"{record.kind} w={record.weight:.2f}" if record.weight is not None else record.kind)
    if clips:
        written.append(write_contact_sheet(clips, out / "contact_sheet.png", labels=labels))
    return written
