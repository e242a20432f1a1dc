"""Triangle rasteriser for meshes: cull, enumerate each triangle's pixel box, z-buffer with one scatter-min.

A body mesh at video sizes has triangles a few pixels across (SMPL's 13,776 faces on a 224-pixel body), so instead
of screen tiles (raster.py's choice for a few large primitives) every front-facing triangle lists the pixel centres
of its own bounding box: the candidates are about twice the covered area, with no per-tile waste. The z-test is one
scatter_reduce(amin) of int64 keys, depth bits high and the triangle's row low (positive floats order like their bit
patterns), so the winner of every pixel comes with its depth, in any order of evaluation: deterministic on CPU and
CUDA. Depth is interpolated as 1/z, which is linear on screen (perspective-correct).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from generation.render.raster import NEAR

_ROW_BITS = 32
_MISS = torch.iinfo(torch.int64).max


@dataclass(frozen=True)
class MeshFragments:
    """The visible triangle of every covered pixel: row (K,) into the chunk's (N * F) triangles, pixel (K,) flat
    index into the chunk's (N, H, W) image, and the pixel's perspective-correct barycentrics bary (K, 3)."""

    row: torch.Tensor
    pixel: torch.Tensor
    bary: torch.Tensor


def face_normals(cam_verts: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """(N, F, 3) area-weighted (unnormalised) normals of camera-frame vertices (N, V, 3); outward for faces wound
    counter-clockwise seen from outside."""
    tri = cam_verts[:, faces]  # (N, F, 3, 3)
    return torch.linalg.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0], dim=-1)


def rasterize_mesh(cam_verts: torch.Tensor, faces: torch.Tensor, normals: torch.Tensor, focal: torch.Tensor,
                   size: tuple[int, int]) -> MeshFragments:
    """cam_verts (N, V, 3) camera frame, faces (F, 3), their normals (N, F, 3), focal (N,) pixels."""
    height, width = size
    n, f = cam_verts.shape[0], faces.shape[0]
    dev, dt = cam_verts.device, cam_verts.dtype
    # Project vertices once, then work only on the triangles that can show: in front of the near plane and facing
    # the camera (which sits at the origin); about half of a closed mesh.
    z = cam_verts[..., 2]
    inv_depth = 1.0 / z.clamp_min(NEAR)
    sx = (focal[:, None] * cam_verts[..., 0] * inv_depth + width / 2).view(-1)
    sy = (focal[:, None] * cam_verts[..., 1] * inv_depth + height / 2).view(-1)
    z = z.reshape(-1)
    first = cam_verts[:, faces[:, 0]]
    keep = (normals * first).sum(-1) < 0
    keep &= (z.view(n, -1) > NEAR)[:, faces].all(-1)
    rows = torch.nonzero(keep.view(-1)).squeeze(1)
    corner = faces[rows % f] + (rows // f * cam_verts.shape[1])[:, None]  # (R, 3) flat vertex indices
    tx, ty, tz = sx[corner], sy[corner], z[corner]
    x0 = torch.ceil(tx.amin(1) - 0.5).clamp_(min=0)
    x1 = torch.floor(tx.amax(1) - 0.5).clamp_(max=width - 1)
    y0 = torch.ceil(ty.amin(1) - 0.5).clamp_(min=0)
    y1 = torch.floor(ty.amax(1) - 0.5).clamp_(max=height - 1)
    box_w = (x1 - x0 + 1).clamp_(min=0).long()
    box_h = (y1 - y0 + 1).clamp_(min=0).long()
    counts = box_w * box_h
    owner = torch.repeat_interleave(torch.arange(rows.numel(), device=dev), counts)
    if owner.numel() == 0:
        return _empty(dev, dt)
    local = torch.arange(owner.numel(), device=dev) - (torch.cumsum(counts, 0) - counts)[owner]
    w = box_w[owner]
    px = x0.long()[owner] + local % w
    py = y0.long()[owner] + local // w

    # Screen-space barycentrics from edge functions, per candidate pixel centre.
    ax, ay = tx[:, 0], ty[:, 0]
    e1x, e1y, e2x, e2y = tx[:, 1] - ax, ty[:, 1] - ay, tx[:, 2] - ax, ty[:, 2] - ay
    area = e1x * e2y - e2x * e1y
    inv_area = 1.0 / torch.where(area.abs() > 1e-12, area, torch.ones_like(area))
    inv_area = torch.where(area.abs() > 1e-12, inv_area, torch.zeros_like(inv_area))  # degenerate: never inside
    cx = px.to(dt).add_(0.5).sub_(ax[owner])
    cy = py.to(dt).add_(0.5).sub_(ay[owner])
    b1 = (cx * e2y[owner] - cy * e2x[owner]).mul_(inv_area[owner])
    b2 = (cy * e1x[owner] - cx * e1y[owner]).mul_(inv_area[owner])
    b0 = 1.0 - b1 - b2
    inside = (b0 >= 0) & (b1 >= 0) & (b2 >= 0) & (inv_area[owner] != 0)
    idx = torch.nonzero(inside).squeeze(1)
    owner, px, py = owner[idx], px[idx], py[idx]
    inv_z = torch.stack([b0[idx], b1[idx], b2[idx]], dim=1) / tz[owner]  # each corner's share of 1/z
    depth = 1.0 / inv_z.sum(1)

    row = rows[owner]
    pixel = ((row // f) * height + py) * width + px
    key = (depth.to(torch.float32).view(torch.int32).to(torch.int64) << _ROW_BITS) | row
    zbuf = torch.full((n * height * width,), _MISS, dtype=torch.int64, device=dev)
    zbuf.scatter_reduce_(0, pixel, key, reduce="amin")
    win = zbuf[pixel] == key  # the candidate that won its pixel (keys are unique: the row is in them)
    bary = inv_z[win] * depth[win, None]  # perspective-correct weights
    return MeshFragments(row=row[win], pixel=pixel[win], bary=bary)


def _empty(dev: torch.device, dt: torch.dtype) -> MeshFragments:
    empty = torch.zeros(0, dtype=torch.long, device=dev)
    return MeshFragments(empty, empty, torch.zeros(0, 3, dtype=dt, device=dev))
