"""The mesh path of the batched renderer: z-buffer, culling, smooth shading, framing, determinism, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from generation.errors import AutoSynthDaError
from generation.render import Camera, RenderError, RenderOptions, View, frame_mesh, render_mesh_clips
from generation.render.mesh_raster import face_normals, rasterize_mesh

SIZE = (64, 64)


def _identity_camera() -> Camera:
    """A camera at the origin looking down +z (canonical frame = camera frame), 60 deg field of view."""
    return Camera(torch.eye(3)[None], torch.zeros(1, 3), torch.tensor([math.radians(60.0)]))


def _uv_sphere(radius: float, centre: tuple[float, float, float], rings: int = 12, segments: int = 24):
    """A closed sphere wound counter-clockwise seen from outside: (V, 3) vertices, (F, 3) faces."""
    verts = [(0.0, -radius, 0.0)]
    for i in range(1, rings):
        theta = math.pi * i / rings
        for k in range(segments):
            phi = 2 * math.pi * k / segments
            verts.append((radius * math.sin(theta) * math.cos(phi), -radius * math.cos(theta),
                          radius * math.sin(theta) * math.sin(phi)))
    verts.append((0.0, radius, 0.0))
    faces = []
    ring = lambda i, k: 1 + (i - 1) * segments + k % segments  # noqa: E731
    for k in range(segments):
        faces.append((0, ring(1, k + 1), ring(1, k)))
        for i in range(1, rings - 1):
            faces.append((ring(i, k), ring(i, k + 1), ring(i + 1, k + 1)))
            faces.append((ring(i, k), ring(i + 1, k + 1), ring(i + 1, k)))
        faces.append((len(verts) - 1, ring(rings - 1, k), ring(rings - 1, k + 1)))
    v = torch.tensor(verts) + torch.tensor(centre)
    f = torch.tensor(faces)
    tri = v[f]
    if torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0], dim=-1).mul(tri.mean(1) - torch.tensor(centre)).sum() < 0:
        f = f[:, [0, 2, 1]]
    return v, f


def test_nearer_triangle_wins_and_back_faces_are_culled():
    # Two camera-facing triangles (clockwise on screen = counter-clockwise seen by the camera) overlapping on screen.
    near = [[-0.2, -0.2, 1.0], [0.2, -0.2, 1.0], [0.0, 0.2, 1.0]]
    far = [[-0.6, -0.6, 2.0], [0.6, -0.6, 2.0], [0.0, 0.6, 2.0]]
    verts = torch.tensor([near + far])
    faces = torch.tensor([[0, 2, 1], [3, 5, 4]])
    normals = face_normals(verts, faces)
    assert (normals[0, :, 2] < 0).all()  # both face the camera
    focal = torch.tensor([32.0 / math.tan(math.radians(30.0))])
    frags = rasterize_mesh(verts, faces, normals, focal, SIZE)
    centre = (SIZE[0] // 2) * SIZE[1] + SIZE[1] // 2
    winner = dict(zip(frags.pixel.tolist(), frags.row.tolist()))
    assert winner[centre] == 0  # the near one, although the far one also covers the centre
    assert set(winner.values()) == {0, 1} and len(winner) == frags.pixel.numel()  # one fragment per pixel
    assert torch.allclose(frags.bary.sum(1), torch.ones(len(frags.bary)), atol=1e-5)
    flipped = faces[:, [0, 2, 1]]  # the same triangles turned away from the camera
    assert rasterize_mesh(verts, flipped, face_normals(verts, flipped), focal, SIZE).pixel.numel() == 0


def test_smooth_shading_has_no_facet_edges():
    verts, faces = _uv_sphere(0.5, (0.0, 0.0, 2.0))
    options = RenderOptions(body_color=(1.0, 1.0, 1.0), background_color=(0.0, 0.0, 0.0), ambient=0.2, diffuse=0.8)
    image = render_mesh_clips(verts[None], faces, _identity_camera(), 128, options=options)[0, 0].float()[..., 0]
    body = image > 0
    assert 0.1 < body.float().mean() < 0.5
    # Away from the silhouette (where the normal turns fast on screen): the inner 3/4 of the disc.
    ys, xs = torch.nonzero(body, as_tuple=True)
    radius = math.sqrt(len(ys) / math.pi)
    inner = torch.zeros_like(body)
    yy, xx = torch.meshgrid(torch.arange(128), torch.arange(128), indexing="ij")
    inner = (yy - ys.float().mean()) ** 2 + (xx - xs.float().mean()) ** 2 < (0.75 * radius) ** 2
    step = torch.maximum((image - torch.roll(image, 1, 0)).abs(), (image - torch.roll(image, 1, 1)).abs())
    # Lit from the front-left-top: brightness varies across the sphere but smoothly, pixel to pixel (flat shading
    # of the same 12 x 24 sphere, facets 15 degrees apart, jumps by tens of grey levels at facet edges).
    assert image[inner].max() - image[inner].min() > 60
    assert step[inner].max() <= 10


def test_mesh_clip_fills_the_frame_and_is_deterministic():
    verts, faces = _uv_sphere(0.3, (0.0, 0.0, 0.0))
    # A "clip" of a sphere stretched into a standing body shape and moving right.
    body = verts * torch.tensor([0.6, 3.0, 0.6])
    clip = torch.stack([body + torch.tensor([0.05 * t, 0.0, 0.0]) for t in range(6)])
    views = [View("front", 90.0), View("side", 0.0, 20.0)]
    batch = torch.stack([clip, clip])
    cameras = frame_mesh(batch, views, SIZE)
    frames = render_mesh_clips(batch, faces, cameras, SIZE, seed=3, options=RenderOptions.randomized())
    again = render_mesh_clips(batch, faces, cameras, SIZE, seed=3, options=RenderOptions.randomized())
    assert frames.shape == (2, 6, 64, 64, 3) and frames.dtype == torch.uint8 and torch.equal(frames, again)
    for b in range(2):
        background = frames[b, 0, 0, 0]
        rows = torch.nonzero((frames[b] != background).any(-1).any(0).any(-1)).squeeze(1)
        height = int(rows.max() - rows.min() + 1)
        assert 0.6 * SIZE[0] <= height <= SIZE[0]  # framed to ~80 % of the height, whole body in view


@pytest.mark.parametrize(
    ("vertices", "faces", "message"),
    [
        (torch.zeros(2, 5, 2), torch.tensor([[0, 1, 2]]), r"vertices: expected shape \(B, T, V, 3\)"),
        (torch.zeros(2, 5, 3), torch.tensor([[0, 1, 7]]), r"faces: indices must lie in \[0, 5\), got \[0, 7\]"),
        (torch.zeros(2, 5, 3), torch.tensor([0, 1, 2]), r"faces: expected shape \(F, 3\)"),
        (torch.full((2, 5, 3), float("nan")), torch.tensor([[0, 1, 2]]), r"vertices: 30 non-finite values"),
    ],
)
def test_bad_mesh_input_is_one_line(vertices, faces, message):
    with pytest.raises(RenderError, match=message) as exc:
        render_mesh_clips(vertices, faces, _identity_camera(), SIZE)
    assert isinstance(exc.value, AutoSynthDaError) and "\n" not in str(exc.value)
    assert np.ndim(vertices) == 3
