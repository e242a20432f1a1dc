"""One entry point that loads any supported pose file into a canonical SMPL-22 PoseSequence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from generation.choices import PoseFormat, names
from generation.errors import PoseDataError
from generation.poses.sequence import PoseSequence
from generation.safe_names import check_component

FORMATS: tuple[str, ...] = names(PoseFormat)
POSE_SUFFIXES = (".npz", ".npy", ".bvh", ".txt", ".json")


def detect_format(path: str | Path) -> str:
    """Guess the format from the suffix (and, for .npz, the keys inside)."""
    from generation.poses.canonical import is_canonical

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return "canonical" if is_canonical(path) else "strided"
    if suffix == ".npy":
        return "humanml3d"
    if suffix == ".bvh":
        return "bvh"
    if suffix in (".txt", ".json"):
        return "deepmimic"
    raise PoseDataError(path, "format", f"unknown pose file suffix {suffix!r} (known: {', '.join(POSE_SUFFIXES)})")


def _loader(fmt: str) -> Callable[..., PoseSequence]:
    if fmt == "canonical":
        from generation.poses.canonical import load_canonical

        return lambda path, **_: load_canonical(path)
    if fmt == "strided":
        from generation.poses.strided import load_strided

        return load_strided
    if fmt == "humanml3d":
        from generation.poses.humanml3d import load_humanml3d

        return load_humanml3d
    if fmt == "smpl22-npy":
        from generation.poses.humanml3d import load_smpl22_npy

        return load_smpl22_npy
    if fmt == "bvh":
        from generation.poses.bvh import load_bvh

        return load_bvh
    if fmt == "deepmimic":
        from generation.poses.deepmimic import load_deepmimic

        return load_deepmimic
    raise PoseDataError(None, "format", f"unknown pose format {fmt!r} (known: {', '.join(FORMATS)})")


def load_poses(path: str | Path, *, fmt: str = "auto", label: str | None = None) -> PoseSequence:
    """Load path as fmt ("auto" guesses). label overrides the file's own label when given."""
    path = Path(path)
    if not path.is_file():
        raise PoseDataError(path, "file", "does not exist or is not a file")
    if fmt not in FORMATS:
        raise PoseDataError(path, "format", f"unknown pose format {fmt!r} (known: {', '.join(FORMATS)})")
    resolved = detect_format(path) if fmt == "auto" else fmt
    seq = _loader(resolved)(path)
    if label is not None:
        check_component(label, "label", path)  # it becomes <class>/ folders when rendered or studied
        seq = seq.with_joints(seq.joints, label=label)
    return seq


def iter_pose_files(root: str | Path) -> list[Path]:
    """Pose files under root (recursively), sorted, for folder inputs."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise PoseDataError(root, "path", "does not exist")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in POSE_SUFFIXES)
