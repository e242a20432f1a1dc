"""SMPL bodies on screen: fit the clips' joints, pose the mesh, frame it and render it with generation.render."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from generation.body.fit import FitSettings, fit_joints, resolve_device
from generation.body.model import load_body_model
from generation.body.posed import posed_vertices
from generation.render.cameras import View
from generation.render.mesh import frame_mesh, render_mesh_clips
from generation.render.options import RenderOptions
from generation.render.renderer import check_size


def render_smpl_clips(
    clips: Sequence[np.ndarray],
    views: Sequence[View],
    size: int | tuple[int, int],
    *,
    model_dir: str | Path | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    options: RenderOptions | None = None,
    fit_settings: FitSettings | None = None,
    sources: Sequence[str | Path | None] | None = None,
) -> torch.Tensor:
    """Clips (T_i, 22, 3) canonical joints, one view each -> uint8 (B, T_max, H, W, 3), shorter clips padded with
    their last frame. The model comes from model_dir or $SMPL_MODEL_DIR; all clips are fitted in one batch."""
    dev = resolve_device(device)
    size = check_size(size)
    model = load_body_model(model_dir, dev)
    # A real clip seen from several views is several jobs of the same joints: fit each distinct clip once.
    arrays = [np.ascontiguousarray(c) for c in clips]
    names = list(sources) if sources is not None else [None] * len(arrays)
    index: dict[tuple, int] = {}
    distinct: list[int] = []  # the first clip of each distinct content
    slot = []  # clip -> its distinct content
    for k, a in enumerate(arrays):
        key = (a.shape, a.dtype.str, a.tobytes())
        if key not in index:
            index[key] = len(distinct)
            distinct.append(k)
        slot.append(index[key])
    fits = fit_joints(model, [arrays[k] for k in distinct], fit_settings, device=dev,
                      sources=[names[k] for k in distinct])
    longest = max(len(a) for a in arrays)
    posed = [posed_vertices(model, fit, dev) for fit in fits.clips]
    verts = [posed[i] for i in slot]
    vertices = torch.stack([torch.cat([v, v[-1:].expand(longest - len(v), -1, -1)]) for v in verts])
    cameras = frame_mesh(vertices, list(views), size)
    return render_mesh_clips(vertices, model.faces, cameras, size, seed=seed, device=dev, options=options)
