"""The project's own canonical .npz: SMPL-22 joints in the canonical frame plus metadata, written atomically."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from generation.atomic import atomic_file
from generation.errors import PoseDataError
from generation.poses.numpy_files import load_problem
from generation.poses.sequence import PoseSequence, validate_joints

CANONICAL_VERSION = 1
_REQUIRED = ("joints", "joint_set", "fps")


def save_canonical(seq: PoseSequence, path: str | Path, *, dtype: type = np.float32) -> Path:
    """Write seq to path (.npz). The file appears whole or not at all."""
    path = Path(path)
    payload = {
        "autosynthda_version": np.array(CANONICAL_VERSION),
        "joints": np.ascontiguousarray(seq.joints, dtype=dtype),
        "joint_set": np.array(seq.joint_set),
        "fps": np.array(float(seq.fps)),
        "label": np.array(seq.label),
        "source": np.array(seq.source),
        "floor_y": np.array(np.nan if seq.floor_y is None else float(seq.floor_y)),
        "meta": np.array(json.dumps(seq.meta, sort_keys=True)),
    }
    if seq.image_landmarks is not None:  # only extracted clips have them: other files stay byte-identical
        payload["image_landmarks"] = np.ascontiguousarray(seq.image_landmarks, dtype=np.float32)
    with atomic_file(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **payload)
    return path


def is_canonical(path: str | Path) -> bool:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return "autosynthda_version" in npz.files
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return False


def load_canonical(path: str | Path) -> PoseSequence:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [key for key in _REQUIRED if key not in npz.files]
            if missing:
                raise PoseDataError(path, missing[0], "missing npz key of a canonical pose file")
            data = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        if isinstance(exc, PoseDataError):
            raise
        raise PoseDataError(path, "file", f"not a readable .npz ({load_problem(exc)})") from None
    joint_set = str(data["joint_set"])
    validate_joints(data["joints"], joint_set, path)
    floor = float(data["floor_y"]) if "floor_y" in data else float("nan")
    try:
        meta = json.loads(str(data["meta"])) if "meta" in data else {}
    except json.JSONDecodeError as exc:
        raise PoseDataError(path, "meta", f"not valid JSON ({exc})") from None
    # source is the file loaded, as for every loader (splits, banks and leak checks compare it); where the clip
    # originally came from stays in meta["origin"].
    if "source" in data and str(data["source"]) and str(data["source"]) != str(path):
        meta.setdefault("origin", str(data["source"]))
    return PoseSequence(
        joints=data["joints"],
        joint_set=joint_set,
        fps=float(data["fps"]),
        label=str(data["label"]) if "label" in data else "",
        source=str(path),
        floor_y=None if np.isnan(floor) else floor,
        meta=meta,
        image_landmarks=data.get("image_landmarks"),
    )
