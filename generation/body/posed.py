"""Mesh vertices of fitted clips: SMPL's own skinning (smplx's lbs, pose correctives included) in frame chunks."""

from __future__ import annotations

import numpy as np
import torch

from generation.body.fit import ClipFit
from generation.body.model import BodyModel
from generation.body.skeleton import flip_axes

CHUNK_FRAMES = 256  # lbs holds a (frames, V, 4, 4) transform: ~0.45 MB a frame for SMPL


def posed_vertices(model: BodyModel, fit: ClipFit, device: torch.device | str | None = None) -> torch.Tensor:
    """(T, V, 3) float32 vertices of a fitted clip, canonical frame, on device (default: the model's)."""
    from smplx.lbs import lbs

    dev = torch.device(device) if device is not None else model.device
    model = model.to(dev)
    smpl = model.smpl
    rotations = torch.from_numpy(np.ascontiguousarray(fit.rotations)).to(dev, torch.float32)
    transl = torch.from_numpy(np.ascontiguousarray(fit.transl)).to(dev, torch.float32)
    betas = torch.from_numpy(np.ascontiguousarray(fit.betas)).to(dev, torch.float32)[None]
    out = []
    with torch.no_grad():
        for start in range(0, len(rotations), CHUNK_FRAMES):
            rot = rotations[start : start + CHUNK_FRAMES]
            verts, _ = lbs(betas.expand(len(rot), -1), rot, smpl.v_template, smpl.shapedirs, smpl.posedirs,
                           smpl.J_regressor, smpl.parents, smpl.lbs_weights, pose2rot=False)
            out.append(flip_axes(verts + transl[start : start + CHUNK_FRAMES, None]))
    return torch.cat(out)
