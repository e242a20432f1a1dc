"""Rendering of pose clips to video frames: a licence-free mannequin (or a mesh, e.g. a fitted SMPL body), cameras,
and batched torch rasterisers."""

from generation.render.backgrounds import load_background_folder, make_backgrounds
from generation.render.cameras import NAMED_VIEWS, Camera, View, frame_body, parse_views, random_views, view_rotation
from generation.render.errors import RenderError
from generation.render.mannequin import PART_NAMES, Primitives, build_mannequin
from generation.render.mesh import frame_mesh, render_mesh_clips
from generation.render.options import RenderOptions
from generation.render.renderer import render_clips, render_views

__all__ = [
    "NAMED_VIEWS", "PART_NAMES", "Camera", "Primitives", "RenderError", "RenderOptions", "View", "build_mannequin",
    "frame_body", "frame_mesh", "load_background_folder", "make_backgrounds", "parse_views",
    "random_views", "render_clips", "render_mesh_clips", "render_views", "view_rotation",
]  # fmt: skip
