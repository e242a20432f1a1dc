"""Batched mesh renderer: vertices (B, T, V, 3) + one camera per clip -> uint8 frames (B, T, H, W, 3).

The mesh counterpart of renderer.render_clips, with the same cameras, backgrounds, appearance (light, colours) and
determinism: smooth (Gouraud-style per-pixel) shading from vertex normals that are the area-weighted mean of the
faces around each vertex, summed in a fixed order (a padded vertex -> faces table, not an atomic scatter), so CUDA
gives the same bytes run after run.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from generation.render.backgrounds import make_backgrounds
from generation.render.cameras import Camera, View, frame_points
from generation.render.errors import RenderError, check_finite
from generation.render.mesh_raster import face_normals, rasterize_mesh
from generation.render.options import Appearance, RenderOptions, sample_appearance
from generation.render.renderer import broadcast_cameras, check_size, chunk_frames, paint_chunk, resolve_options

FRAMING_POINTS = 1024  # vertices per frame used to frame a clip (every k-th one), each padded by FRAMING_MARGIN
FRAMING_MARGIN = 0.03  # metres
# A mesh chunk holds every candidate pixel of every triangle (int64 and float tensors of ~40k entries a 224 x 224
# frame): on GPUs, fewer frames at a time than the mannequin's chunks.
GPU_MESH_CHUNK_PIXELS = 128 * 224 * 224


def mesh_chunk_frames(options: RenderOptions, device: torch.device, size: tuple[int, int]) -> int:
    chunk = chunk_frames(options, device, size)
    if device.type == "cuda" and not options.chunk_frames:
        chunk = min(chunk, max(1, GPU_MESH_CHUNK_PIXELS // (size[0] * size[1])))
    return chunk


def check_mesh(vertices: torch.Tensor, faces: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T, V, 3) float vertices (a (T, V, 3) clip becomes a batch of one) and (F, 3) long faces, checked."""
    vertices = torch.as_tensor(vertices)
    if vertices.dim() == 3:
        vertices = vertices.unsqueeze(0)
    if vertices.dim() != 4 or vertices.shape[-1] != 3 or 0 in vertices.shape:
        raise RenderError(f"vertices: expected shape (B, T, V, 3) or (T, V, 3), got {tuple(vertices.shape)}")
    faces = torch.as_tensor(faces, device=vertices.device)
    if faces.dim() != 2 or faces.shape[1] != 3 or faces.shape[0] == 0:
        raise RenderError(f"faces: expected shape (F, 3), got {tuple(faces.shape)}")
    faces = faces.long()
    if int(faces.min()) < 0 or int(faces.max()) >= vertices.shape[2]:
        raise RenderError(f"faces: indices must lie in [0, {vertices.shape[2]}), got [{int(faces.min())}, "
                          f"{int(faces.max())}]")
    return check_finite(vertices, "vertices"), faces


def vertex_faces(faces: torch.Tensor, num_vertices: int) -> torch.Tensor:
    """(V, K) the faces around each vertex, padded with F (an all-zero normal is appended at index F)."""
    f = faces.shape[0]
    vert = faces.reshape(-1)
    face = torch.arange(f, device=faces.device).repeat_interleave(3)
    order = torch.argsort(vert * f + face)  # by vertex, then face: a fixed summation order
    vert, face = vert[order], face[order]
    counts = torch.bincount(vert, minlength=num_vertices)
    slot = torch.arange(vert.numel(), device=faces.device) - (torch.cumsum(counts, 0) - counts)[vert]
    table = torch.full((num_vertices, max(int(counts.max()), 1)), f, dtype=torch.long, device=faces.device)
    table[vert, slot] = face
    return table


def vertex_normals(normals: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """(N, V, 3) unit vertex normals from (N, F, 3) area-weighted face normals and the vertex_faces table."""
    padded = torch.cat([normals, normals.new_zeros(normals.shape[0], 1, 3)], dim=1)
    summed = padded[:, table].sum(2)
    return summed / summed.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def frame_mesh(vertices: torch.Tensor, views: View | Sequence[View], size: tuple[int, int]) -> Camera:
    """One fixed camera per clip that keeps the whole clip's mesh (B, T, V, 3) in frame (see cameras.frame_body)."""
    vertices = torch.as_tensor(vertices)
    if vertices.dim() == 3:
        vertices = vertices.unsqueeze(0)
    step = max(1, -(-vertices.shape[2] // FRAMING_POINTS))
    points = vertices[:, :, ::step].reshape(vertices.shape[0], -1, 3).float()
    return frame_points(points, torch.full(points.shape[:2], FRAMING_MARGIN, device=points.device), views, size)


def shade_mesh(normals: torch.Tensor, row_clip: torch.Tensor, look: Appearance) -> torch.Tensor:
    """(K, 3) uint8: ambient + Lambert diffuse for camera-frame unit normals (K, 3) of clips row_clip (K,)."""
    lambert = (normals * look.light_dir[row_clip]).sum(-1).clamp_min(0.0)
    base = look.body_rgb[row_clip] * look.light_rgb[row_clip] * 255.0
    intensity = look.ambient[row_clip] + look.diffuse[row_clip] * lambert
    return (base * intensity[:, None]).clamp_(0.0, 255.0).add_(0.5).to(torch.uint8)


def render_mesh_clips(
    vertices: torch.Tensor,
    faces: torch.Tensor,
    cameras: Camera,
    size: int | tuple[int, int],
    *,
    background: str | torch.Tensor | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    options: RenderOptions | None = None,
) -> torch.Tensor:
    """Render B mesh clips: vertices (B, T, V, 3) canonical frame (or one (T, V, 3) clip), faces (F, 3) wound
    counter-clockwise seen from outside, cameras with B (or 1) entries. Returns uint8 (B, T, H, W, 3) on device
    (default: the vertices' device); same inputs and seed -> same bytes. Options and background as render_clips."""
    height, width = check_size(size)
    options = resolve_options(options, background)
    dev = torch.device(device) if device is not None else torch.as_tensor(vertices).device
    vertices, faces = check_mesh(torch.as_tensor(vertices, device=dev), faces)
    vertices = vertices.to(dtype=torch.float32)
    bsz, frames, num_verts = vertices.shape[:3]
    chunk = mesh_chunk_frames(options, dev, (height, width))
    if chunk * faces.shape[0] >= 2**32:  # triangle rows of a chunk share 32 bits of the z-buffer key
        raise RenderError(f"faces: {faces.shape[0]} faces are too many to render {chunk} frames at a time")
    cams = broadcast_cameras(cameras, bsz, dev)
    cam_verts = cams.world_to_camera(vertices).reshape(bsz * frames, num_verts, 3)
    focal = cams.focal(height).repeat_interleave(frames)
    clip_of_frame = torch.arange(bsz, device=dev).repeat_interleave(frames)
    table = vertex_faces(faces, num_verts)

    look = sample_appearance(options, bsz, seed, dev)
    backgrounds = make_backgrounds(options, bsz, (height, width), seed, dev)
    out = torch.empty(bsz * frames, height, width, 3, dtype=torch.uint8, device=dev)
    for start in range(0, bsz * frames, chunk):
        sl = slice(start, min(start + chunk, bsz * frames))
        verts = cam_verts[sl]
        normals = face_normals(verts, faces)
        frags = rasterize_mesh(verts, faces, normals, focal[sl], (height, width))
        smooth = vertex_normals(normals, table)  # (n, V, 3)
        frame = frags.row // faces.shape[0]
        corners = faces[frags.row % faces.shape[0]]  # (K, 3)
        n = (smooth[frame[:, None], corners] * frags.bary[..., None]).sum(1)
        n = n / n.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        colours = shade_mesh(n, clip_of_frame[sl][frame], look)
        paint_chunk(out[sl], backgrounds, clip_of_frame[sl], frags.pixel, colours)
    return out.view(bsz, frames, height, width, 3)
