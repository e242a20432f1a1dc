"""A slow, obviously-correct dense renderer: every pixel against every primitive, float64. For tests only.

Same surface model and shading as the tile renderer (see generation/render/raster.py), written out directly from the
definitions, without tiles, binning, unit rescaling, bit-packed depth keys or in-place tricks.
"""

from __future__ import annotations

import torch

from generation.render.backgrounds import make_backgrounds
from generation.render.cameras import Camera
from generation.render.errors import check_joints
from generation.render.mannequin import build_mannequin
from generation.render.options import RenderOptions, sample_appearance
from generation.render.raster import NEAR


def render_reference(joints: torch.Tensor, cameras: Camera, size: tuple[int, int], *, seed: int = 0,
                     options: RenderOptions | None = None) -> torch.Tensor:
    """uint8 (B, T, H, W, 3), like render_clips, on the CPU."""
    options = options or RenderOptions()
    height, width = size
    joints = check_joints(torch.as_tensor(joints)).to(torch.float64).cpu()
    bsz, frames = joints.shape[:2]
    cams = cameras.to("cpu", torch.float64)
    prims = build_mannequin(joints)
    look = sample_appearance(options, bsz, seed, torch.device("cpu"))
    backgrounds = make_backgrounds(options, bsz, size, seed, torch.device("cpu"))
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float64) + 0.5,
                            torch.arange(width, dtype=torch.float64) + 0.5, indexing="ij")
    out = torch.empty(bsz, frames, height, width, 3, dtype=torch.uint8)
    for b in range(bsz):
        focal = float(height / 2 / torch.tan(cams.fov[b] / 2))
        a_cam = cams[b].world_to_camera(prims.a[b:b + 1])[0]
        b_cam = cams[b].world_to_camera(prims.b[b:b + 1])[0]
        for t in range(frames):
            depth = torch.full((height, width), float("inf"), dtype=torch.float64)
            normal = torch.zeros(height, width, 3, dtype=torch.float64)
            for p in range(a_cam.shape[1]):
                hit = _primitive(a_cam[t, p], b_cam[t, p], float(prims.ra[b, t, p]), float(prims.rb[b, t, p]),
                                 focal, width, height, xs, ys)
                if hit is None:
                    continue
                z, n = hit
                nearer = z < depth
                depth = torch.where(nearer, z, depth)
                normal = torch.where(nearer[..., None], n, normal)
            covered = torch.isfinite(depth)
            light = look.light_dir[b].double()
            lambert = (normal * light).sum(-1).clamp_min(0.0)
            intensity = look.ambient[b].double() + look.diffuse[b].double() * lambert
            rgb = (look.body_rgb[b] * look.light_rgb[b]).double() * 255.0 * intensity[..., None]
            body = (rgb.clamp(0.0, 255.0) + 0.5).to(torch.uint8)
            bg = backgrounds[b if backgrounds.shape[0] > 1 else 0]
            out[b, t] = torch.where(covered[..., None], body, bg)
    return out


def _primitive(a, b, ra, rb, focal, width, height, xs, ys):
    """(depth (H, W) with inf where not covered, normals (H, W, 3)) of one round cone, or None when clipped."""
    if a[2] - ra <= NEAR or b[2] - rb <= NEAR:
        return None
    a2 = torch.stack([focal * a[0] / a[2] + width / 2, focal * a[1] / a[2] + height / 2])
    b2 = torch.stack([focal * b[0] / b[2] + width / 2, focal * b[1] / b[2] + height / 2])
    big_ra, big_rb = focal * ra / a[2], focal * rb / b[2]
    ab = b2 - a2
    length2 = float((ab * ab).sum())
    rel_x, rel_y = xs - a2[0], ys - a2[1]
    if length2 > 1e-6:
        s = ((rel_x * ab[0] + rel_y * ab[1]) / length2).clamp(0.0, 1.0)
    else:
        s = torch.zeros_like(xs)
    off_x, off_y = rel_x - s * ab[0], rel_y - s * ab[1]
    big_r = big_ra + s * (big_rb - big_ra)
    inside = off_x**2 + off_y**2 < big_r**2
    h = torch.sqrt((1.0 - (off_x**2 + off_y**2) / big_r**2).clamp_min(0.0))
    z_centre = a[2] + s * (b[2] - a[2])
    radius = ra + s * (rb - ra)
    depth = torch.where(inside, z_centre - radius * h, torch.full_like(xs, float("inf")))
    normal = torch.stack([off_x / big_r, off_y / big_r, -h], dim=-1)
    return depth, normal
