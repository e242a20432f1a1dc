"""Cameras: SynthDa's named views, seeded random views, a view-spec parser, and framing of a clip's body.

World = the canonical pose frame: x right, y DOWN, z forward (away from the source video's camera). Camera frame
(OpenCV-like): x right, y down, z along the optical axis. An identity rotation therefore looks at the subject exactly
as the source video did, head at the top of the image.

Azimuth/elevation as SynthDa's view names use them: azimuth 90 = "front" = the source camera's side (-z),
270 = back (+z), 0 = right (+x), 180 = left (-x); elevation > 0 raises the camera and looks down.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from generation.render.errors import RenderError, check_joints
from generation.render.mannequin import build_mannequin

_WORLD_UP = (0.0, -1.0, 0.0)  # y is down
_MAX_ELEVATION = 89.0  # at +-90 the look-at basis degenerates
_NEAR_MARGIN = 0.2  # metres between the camera and the nearest body surface at least


@dataclass(frozen=True)
class View:
    """Where to look from, in degrees; fill = fraction of the frame height the clip's body should span."""

    name: str
    azimuth: float
    elevation: float = 0.0
    roll: float = 0.0
    fov: float = 60.0
    fill: float = 0.8


NAMED_VIEWS: dict[str, View] = {
    v.name: v
    for v in (
        View("front", 90.0, 0.0),
        View("back", 270.0, 0.0),
        View("left", 180.0, 0.0),
        View("right", 0.0, 0.0),
        View("front-left", 135.0, 0.0),
        View("front-right", 45.0, 0.0),
        View("upper-left", 135.0, 45.0),
        View("upper-right", 45.0, 45.0),
    )
}

# Ranges of random views: any direction around the body, from slightly below to well above, mild lens variation.
RANDOM_AZIMUTH = (0.0, 360.0)
RANDOM_ELEVATION = (-10.0, 40.0)
RANDOM_FOV = (40.0, 70.0)
RANDOM_ROLL_STD = 3.0
RANDOM_ROLL_MAX = 8.0
RANDOM_FILL = (0.7, 0.85)


@dataclass(frozen=True)
class Camera:
    """A batch of B pinhole cameras. rotation (B, 3, 3) world->camera (roll included), position (B, 3) in world,
    fov (B,) vertical field of view in radians. x_cam = rotation @ (x_world - position)."""

    rotation: torch.Tensor
    position: torch.Tensor
    fov: torch.Tensor

    def __len__(self) -> int:
        return int(self.rotation.shape[0])

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> Camera:
        dtype = dtype or self.rotation.dtype
        return Camera(*(t.to(device=device, dtype=dtype) for t in (self.rotation, self.position, self.fov)))

    def __getitem__(self, index: int | slice) -> Camera:
        sl = slice(index, index + 1) if isinstance(index, int) else index
        return Camera(self.rotation[sl], self.position[sl], self.fov[sl])

    @staticmethod
    def cat(cameras: Sequence[Camera]) -> Camera:
        return Camera(*(torch.cat([getattr(c, f) for c in cameras]) for f in ("rotation", "position", "fov")))

    def world_to_camera(self, points: torch.Tensor) -> torch.Tensor:
        """(B, ..., 3) world points -> camera frame."""
        b = points.shape[0]
        flat = points.reshape(b, -1, 3) - self.position[:, None, :]
        return (flat @ self.rotation.transpose(1, 2)).reshape(points.shape)

    def focal(self, height: int) -> torch.Tensor:
        """(B,) focal length in pixels for an image `height` pixels tall."""
        return (height / 2.0) / torch.tan(self.fov / 2.0)


def view_rotation(azimuth: torch.Tensor, elevation: torch.Tensor, roll: torch.Tensor) -> torch.Tensor:
    """(B, 3, 3) world->camera rotations for angles in degrees, looking at the origin from the view's direction."""
    az, el, ro = (torch.deg2rad(t) for t in (azimuth, elevation.clamp(-_MAX_ELEVATION, _MAX_ELEVATION), roll))
    offset = torch.stack([torch.cos(el) * torch.cos(az), -torch.sin(el), -torch.cos(el) * torch.sin(az)], dim=-1)
    forward = -offset
    up = torch.tensor(_WORLD_UP, dtype=forward.dtype, device=forward.device).expand_as(forward)
    right = torch.linalg.cross(forward, up, dim=-1)
    right = right / right.norm(dim=-1, keepdim=True)
    down = torch.linalg.cross(forward, right, dim=-1)
    cr, sr = torch.cos(ro)[:, None], torch.sin(ro)[:, None]
    right, down = cr * right + sr * down, cr * down - sr * right
    return torch.stack([right, down, forward], dim=1)


def random_view(rng: np.random.Generator, name: str = "random") -> View:
    roll = float(np.clip(rng.normal(0.0, RANDOM_ROLL_STD), -RANDOM_ROLL_MAX, RANDOM_ROLL_MAX))
    return View(
        name=name,
        azimuth=float(rng.uniform(*RANDOM_AZIMUTH)),
        elevation=float(rng.uniform(*RANDOM_ELEVATION)),
        roll=roll,
        fov=float(rng.uniform(*RANDOM_FOV)),
        fill=float(rng.uniform(*RANDOM_FILL)),
    )


def random_views(count: int, seed: int) -> list[View]:
    """count random views; view i depends only on (seed, i), so asking for more views keeps the first ones."""
    return [random_view(np.random.default_rng([seed, i]), f"random{i}") for i in range(count)]


def _known_views() -> str:
    return ", ".join([*NAMED_VIEWS, "random", "random:N", "custom:AZIMUTH:ELEVATION"])


def parse_views(spec: str | Sequence[str], seed: int = 0) -> list[View]:
    """"front,back,random:4" -> [front, back, 4 random views]. Random views are reproducible from seed."""
    tokens = [t.strip() for t in (spec.split(",") if isinstance(spec, str) else spec)]
    views: list[View] = []
    n_random = 0
    for token in tokens:
        key = token.lower()
        if key in NAMED_VIEWS:
            views.append(NAMED_VIEWS[key])
            continue
        head, _, rest = key.partition(":")
        try:
            if head == "random":
                count = int(rest) if rest else 1
                if count < 1:
                    raise ValueError
                for _ in range(count):
                    views.append(random_view(np.random.default_rng([seed, n_random]), f"random{n_random}"))
                    n_random += 1
                continue
            if head == "custom":
                az, el = (float(v) for v in rest.split(":"))
                if not (math.isfinite(az) and math.isfinite(el)):
                    raise ValueError
                views.append(View(f"custom:{az:g}:{el:g}", az, el))
                continue
        except ValueError:
            pass
        raise RenderError(f"unknown view {token!r} (known: {_known_views()})")
    if not views:
        raise RenderError(f"no views in {spec!r} (known: {_known_views()})")
    return views


def frame_body(
    joints: torch.Tensor,
    views: View | Sequence[View],
    size: tuple[int, int],
    *,
    max_width_fill: float = 0.92,
    iterations: int = 4,
) -> Camera:
    """One fixed camera per clip that keeps the whole clip's body in frame and makes it span view.fill of the height.

    joints: (B, T, 22, 3) or (T, 22, 3) canonical frame; views: one per clip, or one for all. The look-at point and
    distance are solved over every frame of the clip together, so the camera does not follow per-frame jitter.
    When the body is wide (arms out seen side-on, a lying pose, a walk across the room) the width bound wins and the
    body spans less of the height.
    """
    joints = check_joints(joints)
    bsz = joints.shape[0]
    prims = build_mannequin(joints.to(torch.float32))
    centres, radii = prims.bounding_points()
    return frame_points(centres.reshape(bsz, -1, 3), radii.reshape(bsz, -1), views, size,
                        max_width_fill=max_width_fill, iterations=iterations)


def frame_points(
    centres: torch.Tensor,
    radii: torch.Tensor,
    views: View | Sequence[View],
    size: tuple[int, int],
    *,
    max_width_fill: float = 0.92,
    iterations: int = 4,
) -> Camera:
    """frame_body for any body given as spheres whose union holds it over the whole clip: centres (B, N, 3), radii
    (B, N), canonical frame (a mesh passes some of its vertices with a small radius)."""
    bsz = centres.shape[0]
    views = [views] * bsz if isinstance(views, View) else list(views)
    if len(views) == 1 and bsz > 1:
        views = views * bsz
    if len(views) != bsz:
        raise RenderError(f"views: got {len(views)} views for {bsz} clips (give one per clip, or one for all)")
    height, width = size
    dev, dt = centres.device, torch.float32
    centres, radii = centres.to(dt), radii.to(dt)

    def vals(attr: str) -> torch.Tensor:
        return torch.tensor([getattr(v, attr) for v in views], dtype=dt, device=dev)

    rot = view_rotation(vals("azimuth"), vals("elevation"), vals("roll"))
    fov = torch.deg2rad(vals("fov"))
    tan_y = torch.tan(fov / 2) * vals("fill")
    tan_x = torch.tan(fov / 2) * (width / height) * max_width_fill

    lo = (centres - radii[..., None]).amin(dim=1)
    hi = (centres + radii[..., None]).amax(dim=1)
    target = (lo + hi) / 2
    rel = (centres - target[:, None]) @ rot.transpose(1, 2)  # camera-aligned, origin at the look-at point
    for step in range(iterations + 1):
        x, y, z = rel.unbind(-1)
        need_y = (y.abs() + radii) / tan_y[:, None] - z
        need_x = (x.abs() + radii) / tan_x[:, None] - z
        need_near = radii - z + _NEAR_MARGIN
        dist = torch.maximum(torch.maximum(need_y, need_x), need_near).amax(dim=1)  # (B,)
        if step == iterations:
            break
        # Centre the projected extent (perspective makes it lopsided), then solve the distance again.
        depth = z + dist[:, None]
        shift_y = ((y - radii) / depth).amin(1) + ((y + radii) / depth).amax(1)
        shift_x = ((x - radii) / depth).amin(1) + ((x + radii) / depth).amax(1)
        shift = torch.stack([shift_x, shift_y, torch.zeros_like(shift_x)], dim=-1) * (dist[:, None] / 2)
        rel = rel - shift[:, None]
        target = target + (shift[:, None] @ rot).squeeze(1)
    position = target - dist[:, None] * rot[:, 2]
    return Camera(rotation=rot, position=position, fov=fov)
