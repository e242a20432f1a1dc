"""`poses import`: other estimators' output (StridedTransformer .npz, HumanML3D .npy, BVH) in class folders ->
canonical .npz, with the same report as `poses extract`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from generation.atomic import check_writable_dir
from generation.errors import PoseDataError
from generation.extract.report import ExtractError, ReportRow
from generation.poses.canonical import save_canonical
from generation.poses.io import detect_format, load_poses

IMPORT_FORMATS = ("auto", "strided", "humanml3d", "bvh")
_SUFFIXES = {"strided": (".npz",), "humanml3d": (".npy",), "bvh": (".bvh",)}
_AUTO_SUFFIXES = (".npz", ".npy", ".bvh")


@dataclass(frozen=True)
class ImportItem:
    """path: the file. label: its class folder ("" when it sits directly in the source folder). name: its path
    inside the class folder, which is also where it goes under the output class folder."""

    path: Path
    label: str
    name: str


def find_pose_files(src: str | Path, fmt: str = "auto") -> list[ImportItem]:
    src = Path(src)
    if fmt not in IMPORT_FORMATS:
        raise ExtractError(f"--format: unknown import format {fmt!r} (known: {', '.join(IMPORT_FORMATS)})")
    if not src.is_dir():
        raise PoseDataError(src, "path", "does not exist or is not a folder")
    suffixes = _AUTO_SUFFIXES if fmt == "auto" else _SUFFIXES[fmt]
    items = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if not path.is_file() or path.suffix.lower() not in suffixes or any(p.startswith(".") for p in rel.parts):
            continue
        label = rel.parts[0] if len(rel.parts) > 1 else ""
        items.append(ImportItem(path, label, Path(*rel.parts[1:]).as_posix() if label else rel.as_posix()))
    if not items:
        raise PoseDataError(src, "path", f"no {' / '.join(suffixes)} pose files found under <class>/ folders")
    return items


def _skip_reason(item: ImportItem, fmt: str) -> str | None:
    if not item.label:
        return "not inside a class folder (the class folder is the label)"
    # StridedTransformer runs (SynthDa) leave output_keypoints_3d.npy, already mapped to SMPL-22, beside the .npz;
    # "auto" would read it as HumanML3D (y up) and flip it.
    if fmt == "auto" and item.path.suffix.lower() == ".npy":
        twin = item.path.with_suffix(".npz")
        if twin.is_file() and detect_format(twin) == "strided":
            return f"SMPL-22 copy of {twin.name} (imported from the .npz)"
    return None


def import_one(item: ImportItem, out_root: Path, fmt: str, fps: float | None, written: dict[Path, str]) -> ReportRow:
    dst = out_root / item.label / Path(item.name).with_suffix(".npz")
    base = {"video": item.name, "label": item.label}
    reason = _skip_reason(item, fmt)
    if reason is not None:
        return ReportRow(**base, status="skipped", reason=reason)
    if dst in written:
        return ReportRow(**base, status="error", reason=f"same output {dst.name} as {written[dst]} (rename one)")
    try:
        resolved = detect_format(item.path) if fmt == "auto" else fmt
        seq = load_poses(item.path, fmt=resolved, label=item.label)
        if fps is not None and resolved == "strided":  # the only format that stores no frame rate
            seq = seq.with_joints(seq.joints, fps=fps)
        save_canonical(seq, dst)
    except PoseDataError as exc:
        return ReportRow(**base, status="error", reason=f"{exc.field}: {exc.problem}")
    except Exception as exc:  # one bad file must never end the run
        return ReportRow(**base, status="error", reason=f"{type(exc).__name__}: {exc}")
    written[dst] = item.name
    return ReportRow(
        **base, frames=seq.num_frames, kept_frames=seq.num_frames, status="ok",
        reason=f"{resolved}, {seq.fps:g} fps", output=str(dst),
    )


def import_poses(
    src: str | Path, out: str | Path, fmt: str = "auto", *, fps: float | None = None, progress: bool = True
) -> list[ReportRow]:
    """Convert every pose file under src/<class>/ to out/<class>/<name>.npz; the report rows, in file order."""
    if fps is not None and not fps > 0:
        raise ExtractError(f"--fps: must be > 0, got {fps!r}")
    items = find_pose_files(src, fmt)
    out_root = check_writable_dir(out)
    written: dict[Path, str] = {}
    return [
        import_one(item, out_root, fmt, fps, written)
        for item in tqdm(items, desc="import", unit="file", disable=not progress)
    ]
