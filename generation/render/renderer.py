"""Batched clip renderer: joints (B, T, 22, 3) + one camera per clip -> uint8 video frames (B, T, H, W, 3).

Pure torch, on whatever device the inputs are given (CPU or CUDA) with no per-frame host round trips: the host
syncs once per chunk of frames (the tile binning's nonzero), never per frame.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import replace

import torch

from generation.render.backgrounds import make_backgrounds
from generation.render.cameras import Camera, View, frame_body, parse_views
from generation.render.errors import RenderError, check_joints
from generation.render.mannequin import build_mannequin
from generation.render.options import RenderOptions, sample_appearance
from generation.render.raster import MAX_PRIMITIVES, project, rasterize
from generation.render.shading import shade

# Pixels rasterised together: on CPU ~16 frames of 224 x 224, whose per-pair tensors stay in cache; on GPUs enough
# work per kernel launch (1024 such frames) with a bounded memory footprint (~1 GB at any image size).
CPU_CHUNK_PIXELS = 16 * 224 * 224
GPU_CHUNK_PIXELS = 1024 * 224 * 224


def chunk_frames(options: RenderOptions, device: torch.device, size: tuple[int, int]) -> int:
    if options.chunk_frames:
        return options.chunk_frames
    budget = GPU_CHUNK_PIXELS if device.type == "cuda" else CPU_CHUNK_PIXELS
    return max(1, budget // (size[0] * size[1]))


def resolve_options(options: RenderOptions | None, background: str | torch.Tensor | None) -> RenderOptions:
    options = options or RenderOptions()
    if background is None:
        return options
    if isinstance(background, torch.Tensor):
        return replace(options, background="images", background_images=background)
    return replace(options, background=background)


def check_size(size: int | tuple[int, int]) -> tuple[int, int]:
    try:
        height, width = (operator.index(v) for v in ((size, size) if not hasattr(size, "__len__") else size))
    except (TypeError, ValueError):
        height = width = -1
    if not (8 <= height <= 8192 and 8 <= width <= 8192):
        raise RenderError(f"size: expected (height, width) between 8 and 8192 pixels, got {size!r}")
    return height, width


def broadcast_cameras(cameras: Camera, clips: int, device: torch.device) -> Camera:
    """One float32 camera per clip on device: the cameras as given, or a single camera shared by every clip."""
    if len(cameras) not in (1, clips):
        raise RenderError(f"cameras: got {len(cameras)} cameras for {clips} clips (give one per clip, or one for all)")
    cams = cameras.to(device, torch.float32)
    if len(cams) == 1 and clips > 1:
        cams = Camera(*(t.expand(clips, *t.shape[1:]) for t in (cams.rotation, cams.position, cams.fov)))
    return cams


def check_backgrounds(backgrounds: torch.Tensor, clips: int, size: tuple[int, int],
                      device: torch.device) -> torch.Tensor:
    """Given per-clip backgrounds as a contiguous (B, H, W, 3) uint8 tensor on device, or a one-line RenderError."""
    backgrounds = torch.as_tensor(backgrounds)
    if backgrounds.dtype != torch.uint8 or tuple(backgrounds.shape) != (clips, *size, 3):
        raise RenderError(f"backgrounds: expected a ({clips}, {size[0]}, {size[1]}, 3) uint8 tensor, got "
                          f"{tuple(backgrounds.shape)} {backgrounds.dtype}")
    return backgrounds.to(device).contiguous()


def paint_chunk(
    target: torch.Tensor, backgrounds: torch.Tensor, clip_of_frame: torch.Tensor, pixel: torch.Tensor,
    colours: torch.Tensor,
) -> None:
    """Fill a chunk of frames (n, H, W, 3) with their clips' backgrounds, then the body's colours at its pixels (flat
    indices): per chunk, while the chunk's frames are still in cache."""
    if backgrounds.shape[0] == 1:
        target.copy_(backgrounds.expand_as(target))
    else:
        torch.index_select(backgrounds, 0, clip_of_frame, out=target)
    target.view(-1, 3).index_put_((pixel,), colours)


def render_clips(
    joints: torch.Tensor,
    cameras: Camera,
    size: int | tuple[int, int],
    *,
    background: str | torch.Tensor | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    options: RenderOptions | None = None,
    backgrounds: torch.Tensor | None = None,
) -> torch.Tensor:
    """Render B clips: joints (B, T, 22, 3) canonical frame (or one (T, 22, 3) clip), cameras with B (or 1) entries.

    background overrides options.background: "flat", "gradient", or a (K, h, w, 3) uint8 tensor of images.
    backgrounds, when given, overrides both: one (B, H, W, 3) uint8 picture per clip, used as is (no crop or flip).
    Returns uint8 (B, T, H, W, 3) on device (default: the joints' device). Same inputs and seed -> same bytes.
    """
    height, width = check_size(size)
    options = resolve_options(options, background)
    dev = torch.device(device) if device is not None else (joints.device if isinstance(joints, torch.Tensor) else None)
    joints = check_joints(torch.as_tensor(joints, device=dev)).to(dtype=torch.float32)
    dev = joints.device
    bsz, frames = joints.shape[:2]
    cams = broadcast_cameras(cameras, bsz, dev)

    prims = build_mannequin(joints)
    num_prims = prims.a.shape[2]
    if num_prims > MAX_PRIMITIVES:
        raise RenderError(f"mannequin: {num_prims} primitives exceed the rasteriser's {MAX_PRIMITIVES}")
    a = cams.world_to_camera(prims.a).reshape(bsz * frames, num_prims, 3)
    b = cams.world_to_camera(prims.b).reshape(bsz * frames, num_prims, 3)
    ra = prims.ra.reshape(bsz * frames, num_prims)
    rb = prims.rb.reshape(bsz * frames, num_prims)
    focal = cams.focal(height).repeat_interleave(frames)
    clip_of_frame = torch.arange(bsz, device=dev).repeat_interleave(frames)

    look = sample_appearance(options, bsz, seed, dev)
    if backgrounds is None:
        backgrounds = make_backgrounds(options, bsz, (height, width), seed, dev)
    else:
        backgrounds = check_backgrounds(backgrounds, bsz, (height, width), dev)
    out = torch.empty(bsz * frames, height, width, 3, dtype=torch.uint8, device=dev)
    chunk = chunk_frames(options, dev, (height, width))
    for start in range(0, bsz * frames, chunk):
        sl = slice(start, min(start + chunk, bsz * frames))
        proj = project(a[sl], b[sl], ra[sl], rb[sl], focal[sl], (height, width))
        frags = rasterize(proj, (height, width), options.tile_size)
        colours = shade(proj, frags, clip_of_frame[sl], look)
        paint_chunk(out[sl], backgrounds, clip_of_frame[sl], frags.pixel, colours)
    return out.view(bsz, frames, height, width, 3)


def render_views(
    joints: torch.Tensor,
    views: str | Sequence[View],
    size: int | tuple[int, int],
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    options: RenderOptions | None = None,
    background: str | torch.Tensor | None = None,
) -> torch.Tensor:
    """One clip (T, 22, 3) seen from each view (View objects or a spec such as "front,random:2", whose random views
    come from seed), framed to fill the picture: uint8 (V, T, H, W, 3)."""
    height, width = check_size(size)
    views = parse_views(views, seed=seed) if isinstance(views, str) else list(views)
    clip = check_joints(torch.as_tensor(joints, device=device))
    if clip.shape[0] != 1:
        raise RenderError(f"joints: render_views takes one clip (T, 22, 3), got {clip.shape[0]} clips")
    batch = clip.expand(len(views), *clip.shape[1:])
    cameras = frame_body(batch, views, (height, width))
    return render_clips(batch, cameras, (height, width), seed=seed, device=device, options=options,
                        background=background)
