"""Backgrounds per clip: flat colour, a random two-colour gradient, or a random crop of a background image."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from generation.render.errors import RenderError
from generation.render.options import RenderOptions, clip_rng

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def make_backgrounds(options: RenderOptions, batch: int, size: tuple[int, int], seed: int,
                     device: torch.device) -> torch.Tensor:
    """(B, H, W, 3) contiguous uint8 backgrounds on device, or (1, H, W, 3) when all clips share one (flat);
    clip b's depends only on (seed, b). Contiguous because gathering frames from an expanded view is ~50x slower."""
    height, width = size
    if options.background == "flat":
        rgb = torch.tensor([round(c * 255) for c in options.background_color], dtype=torch.uint8, device=device)
        return rgb.expand(1, height, width, 3).contiguous()
    if options.background == "gradient":
        return _gradients(batch, size, seed, device)
    return _image_crops(options.background_images, batch, size, seed, device)


def _gradients(batch: int, size: tuple[int, int], seed: int, device: torch.device) -> torch.Tensor:
    height, width = size
    params = []
    for b in range(batch):
        rng = clip_rng(seed, b, 2)
        params.append([*rng.uniform(0.1, 0.9, size=6), rng.uniform(0.0, 2 * math.pi)])
    p = torch.tensor(params, dtype=torch.float32, device=device)  # (B, 7)
    c0, c1, angle = p[:, 0:3], p[:, 3:6], p[:, 6]
    ys = torch.arange(height, device=device, dtype=torch.float32) + 0.5 - height / 2
    xs = torch.arange(width, device=device, dtype=torch.float32) + 0.5 - width / 2
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    extent = (cos.abs() * width + sin.abs() * height).clamp_min(1.0)
    t = (xs[None, None, :] * cos + ys[None, :, None] * sin) / extent + 0.5  # (B, H, W) in [0, 1]
    rgb = c0[:, None, None, :] + (c1 - c0)[:, None, None, :] * t[..., None]
    return (rgb * 255).round_().clamp_(0, 255).to(torch.uint8)


def _image_crops(images: torch.Tensor, batch: int, size: tuple[int, int], seed: int,
                 device: torch.device) -> torch.Tensor:
    height, width = size
    out = torch.empty(batch, height, width, 3, dtype=torch.uint8, device=device)
    for b in range(batch):
        rng = clip_rng(seed, b, 3)
        img = images[int(rng.integers(images.shape[0]))].to(device)
        h, w = img.shape[:2]
        # Cover the frame keeping the aspect ratio, with up to 25 % extra zoom, then a random crop and flip.
        scale = max(height / h, width / w) * rng.uniform(1.0, 1.25)
        nh, nw = max(height, math.ceil(h * scale)), max(width, math.ceil(w * scale))
        chw = img.permute(2, 0, 1)[None].float()
        resized = F.interpolate(chw, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)[0]
        y0, x0 = int(rng.integers(nh - height + 1)), int(rng.integers(nw - width + 1))
        crop = resized[:, y0:y0 + height, x0:x0 + width]
        if rng.random() < 0.5:
            crop = crop.flip(-1)
        out[b] = crop.permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8)
    return out


def load_background_folder(folder: str | Path, size: tuple[int, int] = (256, 256),
                           max_images: int | None = None) -> torch.Tensor:
    """(K, H, W, 3) uint8 from the images (.png/.jpg/... via Pillow) and (h, w, 3) uint8 .npy files in folder,
    each centre-cropped to size's aspect ratio and resized to size, sorted by name for reproducibility."""
    folder = Path(folder)
    suffixes = IMAGE_SUFFIXES + (".npy",)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes) if folder.is_dir() else []
    if not files:
        raise RenderError(f"{folder}: no background images (.npy or {', '.join(IMAGE_SUFFIXES)}) found")
    files = files[:max_images] if max_images else files
    out = []
    for path in files:
        arr = _read_image(path)
        img = torch.from_numpy(arr).permute(2, 0, 1)[None].float()
        h, w = arr.shape[:2]
        scale = max(size[0] / h, size[1] / w)
        nh, nw = max(size[0], math.ceil(h * scale)), max(size[1], math.ceil(w * scale))
        img = F.interpolate(img, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)[0]
        y0, x0 = (nh - size[0]) // 2, (nw - size[1]) // 2
        out.append(img[:, y0:y0 + size[0], x0:x0 + size[1]].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8))
    return torch.stack(out)


def _read_image(path: Path) -> np.ndarray:
    if path.suffix.lower() == ".npy":
        arr = np.load(path, allow_pickle=False)
    else:
        try:
            from PIL import Image
        except ImportError as exc:
            raise RenderError(f"{path}: reading images needs Pillow (pip install pillow), or use .npy arrays") from exc
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB"))
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise RenderError(f"{path}: expected an (h, w, 3) uint8 image, got {arr.shape} {arr.dtype}")
    return np.ascontiguousarray(arr)
