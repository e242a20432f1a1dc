"""Loading an SMPL body model through smplx from the user's own model folder (never shipped, never downloaded).

The file is checked key by key before smplx sees it, so a wrong file is one line naming the file and the key rather
than a traceback from inside smplx.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from generation.body.errors import MODEL_FILE, WHERE_TO_GET, BodyModelError
from generation.body.skeleton import NUM_BODY_JOINTS, NUM_JOINTS, PARENTS

ENV_VAR = "SMPL_MODEL_DIR"
REQUIRED_KEYS = ("v_template", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table", "f")
SMPL_VERTICES = 6890  # SMPL's topology, whose vertex ids smplx's extra (face, feet, finger-tip) joints use
_EXTRA_JOINT_NAMES = ("nose", "reye", "leye", "rear", "lear", "LBigToe", "LSmallToe", "LHeel", "RBigToe",
                      "RSmallToe", "RHeel", "lthumb", "lindex", "lmiddle", "lring", "lpinky", "rthumb", "rindex",
                      "rmiddle", "rring", "rpinky")


def resolve_model_file(model_dir: str | Path | None = None) -> Path:
    """The SMPL_NEUTRAL.pkl to use: model_dir (a folder, or the file itself), else $SMPL_MODEL_DIR.

    A folder may hold the file directly or in smpl/ (joints2smpl's and smplx.create's layout).
    """
    if model_dir is None or str(model_dir) == "":
        model_dir = os.environ.get(ENV_VAR) or None
    if model_dir is None:
        raise BodyModelError(None, "smpl_model_dir", f"not set and ${ENV_VAR} is empty; {WHERE_TO_GET}")
    path = Path(model_dir).expanduser()
    if path.is_file():
        return path
    if not path.exists():
        raise BodyModelError(path, "smpl_model_dir", f"folder does not exist; {WHERE_TO_GET}")
    for candidate in (path / MODEL_FILE, path / "smpl" / MODEL_FILE):
        if candidate.is_file():
            return candidate
    raise BodyModelError(path, MODEL_FILE, f"not found in the folder or its smpl/ subfolder; {WHERE_TO_GET}")


def read_model_file(path: Path) -> dict:
    """The pickle's dict, checked: every key smplx reads, with SMPL's shapes."""
    try:
        with open(path, "rb") as handle:
            data = pickle.load(handle, encoding="latin1")
    except ModuleNotFoundError as exc:
        if exc.name == "chumpy":
            raise BodyModelError(path, "pickle", "holds chumpy arrays (an original SMPL release); `pip install "
                                 "chumpy`, or convert the file with smplx's tools/clean_ch.py") from None
        raise BodyModelError(path, "pickle", f"needs the missing module {exc.name!r}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError) as exc:
        raise BodyModelError(path, "pickle", f"not an SMPL model pickle ({type(exc).__name__}: {exc})") from None
    except OSError as exc:
        raise BodyModelError(path, "file", f"cannot be read ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise BodyModelError(path, "pickle", f"expected a dict of SMPL arrays, got {type(data).__name__}")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise BodyModelError(path, key, f"missing (an SMPL model pickle holds {', '.join(REQUIRED_KEYS)})")
    _check_shapes(path, data)
    return data


def _shape(value: object) -> tuple[int, ...]:
    return tuple(int(n) for n in getattr(value, "shape", np.shape(value)))


def _check_shapes(path: Path, data: dict) -> None:
    num_verts = _shape(data["v_template"])[0] if len(_shape(data["v_template"])) == 2 else -1
    pose_basis = 9 * (NUM_JOINTS - 1)
    expected = {
        "v_template": (num_verts, 3),
        "shapedirs": (num_verts, 3, None),
        "posedirs": (num_verts, 3, pose_basis),
        "J_regressor": (NUM_JOINTS, num_verts),
        "weights": (num_verts, NUM_JOINTS),
        "kintree_table": (2, NUM_JOINTS),
        "f": (None, 3),
    }
    names = {"v_template": "(V, 3)", "shapedirs": "(V, 3, betas)", "posedirs": f"(V, 3, {pose_basis})",
             "J_regressor": f"({NUM_JOINTS}, V)", "weights": f"(V, {NUM_JOINTS})",
             "kintree_table": f"(2, {NUM_JOINTS})", "f": "(F, 3)"}
    for key, want in expected.items():
        got = _shape(data[key])
        if num_verts < 1 or len(got) != len(want) or any(w is not None and g != w for g, w in zip(got, want)):
            raise BodyModelError(path, key, f"expected shape {names[key]} with V = {max(num_verts, 0)} vertices, "
                                 f"got {got}")
    faces = np.asarray(data["f"])
    if faces.size == 0 or faces.min() < 0 or faces.max() >= num_verts:
        raise BodyModelError(path, "f", f"face indices must lie in [0, {num_verts}), got "
                             f"[{faces.min() if faces.size else '-'}, {faces.max() if faces.size else '-'}]")
    parents = np.asarray(data["kintree_table"])[0].astype(np.int64)
    if [int(p) for p in parents[1:]] != list(PARENTS[1:]):
        raise BodyModelError(path, "kintree_table", "is not SMPL's 24-joint tree")


def concrete_device(device: torch.device | str) -> torch.device:
    """The device tensors created on device report: torch.device("cuda") becomes cuda:0 (the current one), so it
    compares equal to a tensor's .device; cpu stays cpu."""
    return torch.empty(0, device=device).device


@dataclass(frozen=True)
class BodyModel:
    """An SMPL model (smplx's module, float32) and what fitting and rendering need from it.

    joint_template (24, 3) and joint_shapedirs (24, 3, betas): the rest joints are linear in the betas, so a fit to
    joints never has to compute vertices. faces (F, 3) are wound counter-clockwise seen from outside.
    """

    path: Path
    smpl: torch.nn.Module
    faces: torch.Tensor
    joint_template: torch.Tensor
    joint_shapedirs: torch.Tensor

    @property
    def num_betas(self) -> int:
        return int(self.joint_shapedirs.shape[-1])

    @property
    def num_vertices(self) -> int:
        return int(self.smpl.v_template.shape[0])

    @property
    def device(self) -> torch.device:
        return self.joint_template.device

    def rest_joints(self, betas: torch.Tensor, count: int = NUM_BODY_JOINTS) -> torch.Tensor:
        """(..., count, 3) rest-pose joints (SMPL frame) for betas (..., num_betas)."""
        dirs = self.joint_shapedirs[:count].reshape(count * 3, -1)  # a matmul: einsum took 15 ms on this tiny product
        return self.joint_template[:count] + (betas @ dirs.t()).reshape(*betas.shape[:-1], count, 3)

    def to(self, device: torch.device | str) -> BodyModel:
        device = concrete_device(device)
        if device == self.device:
            return self
        # Module.to moves in place: copy first, so the cached CPU model stays whole.
        return BodyModel(self.path, copy.deepcopy(self.smpl).to(device), self.faces.to(device),
                         self.joint_template.to(device), self.joint_shapedirs.to(device))


def load_body_model(model_dir: str | Path | None = None, device: torch.device | str = "cpu") -> BodyModel:
    """Load SMPL_NEUTRAL.pkl from model_dir (or $SMPL_MODEL_DIR) with smplx. Cached per file and modification time."""
    path = resolve_model_file(model_dir).resolve()
    return _load(path, path.stat().st_mtime_ns).to(device)


@functools.lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> BodyModel:
    import smplx
    from smplx.utils import Struct

    data = read_model_file(path)
    num_verts = _shape(data["v_template"])[0]
    # smplx appends joints read off fixed vertices (nose, toes, finger tips) that exist only on SMPL's own topology;
    # we use the 22 body joints, so any other mesh (the toy model) points them all at vertex 0.
    vertex_ids = None if num_verts == SMPL_VERTICES else dict.fromkeys(_EXTRA_JOINT_NAMES, 0)
    num_betas = min(10, _shape(data["shapedirs"])[-1])
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a warning for every 10-beta model
            smpl = smplx.SMPL(str(path), data_struct=Struct(**data), num_betas=num_betas, vertex_ids=vertex_ids,
                              gender="neutral")
    except (ValueError, TypeError, KeyError, IndexError, RuntimeError) as exc:
        problem = f"smplx cannot build a body from it ({type(exc).__name__}: {exc})"
        raise BodyModelError(path, "model", problem) from None
    smpl.requires_grad_(False)
    faces = smpl.faces_tensor.clone()
    v = smpl.v_template.double()
    tri = v[faces]
    volume = float(torch.einsum("fi,fi->f", tri[:, 0], torch.linalg.cross(tri[:, 1], tri[:, 2])).sum()) / 6.0
    if volume < 0:  # inward-wound file: flip, so the renderer can cull faces turned away from the camera
        faces = faces[:, [0, 2, 1]]
    regressor = smpl.J_regressor
    joint_template = regressor @ smpl.v_template
    joint_shapedirs = torch.einsum("jv,vcb->jcb", regressor, smpl.shapedirs)
    return BodyModel(path, smpl, faces.contiguous(), joint_template, joint_shapedirs)
