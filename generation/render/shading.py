"""Lambert + ambient shading of covered pixels from the analytic normal of the winning primitive."""

from __future__ import annotations

import torch

from generation.render.options import Appearance
from generation.render.raster import ABX, ABY, AX, AY, DR, INV_L2, RA, Fragments, Projected

_GEOMETRY = (AX, AY, ABX, ABY, INV_L2, RA, DR)


def shading_tables(proj: Projected, clip_of_frame: torch.Tensor, look: Appearance) -> tuple[torch.Tensor, torch.Tensor]:
    """Per (frame, primitive) row: geometry + light direction as (10, N * P) (one gather yields contiguous fields),
    and 0-255 colours under ambient light and under full diffuse light as (N * P, 6)."""
    clip = clip_of_frame.repeat_interleave(proj.num_prims)
    geometry = proj.table[:, list(_GEOMETRY)]
    light = look.light_dir[clip]
    fields = torch.cat([geometry, light], dim=1).t().contiguous()
    base = look.body_rgb[clip] * look.light_rgb[clip] * 255.0
    colours = torch.cat([base * look.ambient[clip, None], base * look.diffuse[clip, None]], dim=1)
    return fields, colours


def surface_normals(fields: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(3, K) camera-frame unit normals at pixel centres x, y (K,) for gathered geometry fields (>= 7, K)."""
    ax, ay, abx, aby, inv_l2, ra, dr = fields[:7]
    px, py = x - ax, y - ay
    s = ((px * abx + py * aby) * inv_l2).clamp_(0.0, 1.0)
    big_r = (ra + s * dr).clamp_min_(1e-6)
    nx = (px - s * abx).div_(big_r)
    ny = (py - s * aby).div_(big_r)
    # Edge pixels can sit a rounding error outside the footprint: clamp instead of producing NaN (and avoid
    # torch.sqrt's slow path for zeros: sqrt(e) = e * rsqrt(e)).
    e = (1.0 - nx * nx - ny * ny).clamp_min_(1e-12)
    nz = torch.rsqrt(e).mul_(e).neg_()
    return torch.stack([nx, ny, nz])


def shade(proj: Projected, frags: Fragments, clip_of_frame: torch.Tensor, look: Appearance) -> torch.Tensor:
    """(K, 3) uint8 colours of the fragments. clip_of_frame (N,) maps the chunk's frames to their clips."""
    fields, colours = shading_tables(proj, clip_of_frame, look)
    f = fields.index_select(1, frags.row)
    n = surface_normals(f, frags.x, frags.y)
    lambert = (n[0] * f[7]).addcmul_(n[1], f[8]).addcmul_(n[2], f[9]).clamp_min_(0.0)
    c = colours.index_select(0, frags.row)
    rgb = torch.addcmul(c[:, :3], c[:, 3:], lambert[:, None])
    return rgb.clamp_(0.0, 255.0).add_(0.5).to(torch.uint8)
