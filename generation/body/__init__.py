"""SMPL bodies: load the user's SMPL model with smplx, fit it to SMPL-22 joint clips in one batched optimisation (or
frame by frame, joints2smpl style, as a baseline), pose its mesh and render it. (The procedural stand-in
in SMPL's file format that tests and benchmarks use lives in testing/toy_body.py; it is not SMPL.)"""

from generation.body.errors import MODEL_FILE, SMPL_URL, BodyModelError
from generation.body.fit import ClipFit, FitResult, FitSettings, fit_joints
from generation.body.model import ENV_VAR, BodyModel, load_body_model, read_model_file, resolve_model_file
from generation.body.posed import posed_vertices
from generation.body.render import render_smpl_clips
from generation.body.sequential import SequentialSettings, fit_sequential

__all__ = [
    "ENV_VAR", "MODEL_FILE", "SMPL_URL", "BodyModel", "BodyModelError", "ClipFit", "FitResult", "FitSettings",
    "SequentialSettings", "fit_joints", "fit_sequential", "load_body_model", "posed_vertices",
    "read_model_file", "render_smpl_clips", "resolve_model_file",
]  # fmt: skip
