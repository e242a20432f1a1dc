"""Render options and the per-clip appearance (light, colours) drawn from a seed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from generation.render.errors import RenderError

BACKGROUNDS = ("flat", "gradient", "images")
Rgb = tuple[float, float, float]

# SynthDa's look: a 0.1 grey avatar on a 0.5 grey background.
SYNTHDA_BODY = (0.1, 0.1, 0.1)
SYNTHDA_BACKGROUND = (0.5, 0.5, 0.5)
# Towards the light, camera frame (y down, z away from the camera): from above, in front, a little to the left.
DEFAULT_LIGHT = (-0.35, -0.75, -0.55)


@dataclass(frozen=True)
class RenderOptions:
    """How clips look. Defaults reproduce SynthDa's look with a fixed light; `randomized()` is the augmentation preset.

    background: "flat" (background_color), "gradient" (random two-colour linear gradient per clip) or "images"
    (background_images, a (K, h, w, 3) uint8 tensor; one is picked per clip from the seed and resized).
    body_color None draws a colour per clip. random_light draws the light's direction, colour and strength per clip.
    tile_size: screen tile edge of the rasteriser (16 is fastest at 224 x 224). chunk_frames: frames rasterised
    together (None: ~16 frames of 224 x 224 on CPU, where the pair tensors stay in cache; ~1024 on GPUs; fewer
    for larger images).
    """

    background: str = "flat"
    background_color: Rgb = SYNTHDA_BACKGROUND
    background_images: torch.Tensor | None = field(default=None, repr=False, compare=False)
    body_color: Rgb | None = SYNTHDA_BODY
    random_light: bool = False
    light_direction: Rgb = DEFAULT_LIGHT
    light_color: Rgb = (1.0, 1.0, 1.0)
    ambient: float = 0.45
    diffuse: float = 0.75
    tile_size: int = 16
    chunk_frames: int | None = None

    def __post_init__(self) -> None:
        if self.background not in BACKGROUNDS:
            raise RenderError(f"background: unknown kind {self.background!r} (known: {', '.join(BACKGROUNDS)})")
        if self.background == "images":
            imgs = self.background_images
            if imgs is None or imgs.dim() != 4 or imgs.shape[-1] != 3 or imgs.shape[0] == 0:
                shape = None if imgs is None else tuple(imgs.shape)
                raise RenderError(f"background_images: expected a (K, h, w, 3) uint8 tensor, got {shape}")
        for name in ("background_color", "light_color") + (("body_color",) if self.body_color is not None else ()):
            rgb = getattr(self, name)
            if len(rgb) != 3 or not all(math.isfinite(c) and 0.0 <= c <= 1.0 for c in rgb):
                raise RenderError(f"{name}: expected three values in [0, 1], got {rgb!r}")
        if math.hypot(*self.light_direction) < 1e-6:
            raise RenderError(f"light_direction: must be a non-zero vector, got {self.light_direction!r}")
        if self.tile_size not in (4, 8, 16, 32):
            raise RenderError(f"tile_size: expected 4, 8, 16 or 32, got {self.tile_size}")
        if self.chunk_frames is not None and self.chunk_frames < 1:
            raise RenderError(f"chunk_frames: expected a positive number, got {self.chunk_frames}")

    @classmethod
    def randomized(cls, background_images: torch.Tensor | None = None, **changes) -> RenderOptions:
        """Random light and body colour per clip, gradient (or image) backgrounds: for training-data diversity."""
        kind = "images" if background_images is not None else "gradient"
        base = dict(background=kind, background_images=background_images, body_color=None, random_light=True)
        return cls(**{**base, **changes})


@dataclass(frozen=True)
class Appearance:
    """Per-clip shading inputs, (B, ...) tensors on the render device."""

    light_dir: torch.Tensor  # (B, 3) unit, towards the light, camera frame
    light_rgb: torch.Tensor  # (B, 3)
    ambient: torch.Tensor  # (B,)
    diffuse: torch.Tensor  # (B,)
    body_rgb: torch.Tensor  # (B, 3)


def clip_rng(seed: int, clip: int, stream: int) -> np.random.Generator:
    """Independent generator per (seed, clip, purpose): clip b looks the same whatever else is in the batch."""
    return np.random.default_rng([seed, clip, stream])


def sample_appearance(options: RenderOptions, batch: int, seed: int, device: torch.device) -> Appearance:
    rows = []
    for b in range(batch):
        rng = clip_rng(seed, b, 1)
        if options.random_light:
            # Any direction on the camera's side of the body, from level to steeply above.
            direction = np.array([rng.uniform(-1, 1), -rng.uniform(0.15, 1.0), -rng.uniform(0.25, 1.0)])
            tint = rng.uniform(0.85, 1.0, size=3)
            light = tint / tint.max()
            ambient, diffuse = rng.uniform(0.3, 0.6), rng.uniform(0.5, 0.9)
        else:
            direction, light = np.array(options.light_direction), np.array(options.light_color)
            ambient, diffuse = options.ambient, options.diffuse
        if options.body_color is None:
            # Mostly dark-to-mid greys and muted clothing tones: the silhouette must stay readable on any background.
            grey = rng.uniform(0.08, 0.6)
            body = np.clip(grey + rng.normal(0.0, 0.06, size=3), 0.0, 1.0)
        else:
            body = np.array(options.body_color)
        rows.append(np.concatenate([direction / np.linalg.norm(direction), light, [ambient, diffuse], body]))
    t = torch.tensor(np.array(rows), dtype=torch.float32).to(device)
    return Appearance(light_dir=t[:, 0:3], light_rgb=t[:, 3:6], ambient=t[:, 6], diffuse=t[:, 7], body_rgb=t[:, 8:11])
