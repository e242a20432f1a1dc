"""`autosynthda poses ...`: convert pose files to the canonical format and inspect them; extract poses from videos
and import other estimators' output into a pose bank."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from generation.choices import PoseFormat, names
from optimizer.cli.checks import check_out_dir, check_out_file

if TYPE_CHECKING:
    from generation.extract import ReportRow

poses_app = typer.Typer(no_args_is_help=True, help="Read, convert and inspect 3D pose files.")


@poses_app.command("convert")
def convert(
    src: Path = typer.Argument(..., help="A pose file (or a folder of them) in any supported format."),
    out: Path = typer.Option(..., "--out", help="Output .npz (or a folder when SRC is a folder)."),
    fmt: str = typer.Option("auto", "--format", help=f"Input format: {', '.join(names(PoseFormat))}."),
    label: str | None = typer.Option(None, "--label", help="Action class to store (overrides the file's own)."),
) -> None:
    """Convert pose files to the canonical SMPL-22 .npz (y down, metres)."""
    from generation.errors import PoseDataError
    from generation.poses import iter_pose_files, load_poses, save_canonical

    if src.is_dir():
        files = iter_pose_files(src)
        if not files:
            raise PoseDataError(src, "path", "no pose files found in this folder")
        check_out_dir(out)
        targets = [(f, out / f.relative_to(src).with_suffix(".npz")) for f in files]
    else:
        check_out_file(out, suffix=".npz")
        targets = [(src, out)]
    # Load everything first so a bad file fails before anything is written.
    converted = [(load_poses(f, fmt=fmt, label=label), dst) for f, dst in targets]
    for seq, dst in converted:
        save_canonical(seq, dst)
        typer.echo(f"{seq.source} -> {dst} ({seq.num_frames} frames, {seq.fps:g} fps, label {seq.label or '-'})")


@poses_app.command("info")
def info(
    file: Path = typer.Argument(..., help="A pose file in any supported format."),
    fmt: str = typer.Option("auto", "--format", help=f"Input format: {', '.join(names(PoseFormat))}."),
) -> None:
    """Print joint set, frames, fps, label and bounding box of a pose file."""
    import numpy as np

    from generation.poses import bounding_box, estimate_stature, load_poses

    seq = load_poses(file, fmt=fmt)
    low, high = bounding_box(seq)
    rows = [
        ("file", str(file)),
        ("joint set", seq.joint_set),
        ("frames", str(seq.num_frames)),
        ("fps", f"{seq.fps:g}"),
        ("duration", f"{seq.duration:.2f} s"),
        ("label", seq.label or "-"),
        ("bbox min", np.array2string(low, precision=3)),
        ("bbox max", np.array2string(high, precision=3)),
        ("floor y", "unknown" if seq.floor_y is None else f"{seq.floor_y:.3f}"),
        ("stature", f"{estimate_stature(seq):.2f} m"),
    ]
    for name, value in rows:
        typer.echo(f"{name:<10} {value}")


def _finish(rows: list[ReportRow], src: Path, report: Path) -> None:
    """Write the CSV, print the table; exit code 2 (one line) when nothing was converted."""
    from generation.extract import format_table, require_success, summary, write_report

    write_report(rows, report)
    typer.echo(format_table(rows))
    typer.echo(f"{summary(rows)}; report {report}")
    require_success(rows, src, report)


@poses_app.command("extract")
def extract(
    videos_dir: Path = typer.Argument(..., help="<class>/<video>.mp4|avi|mov, TAO <class>/<video>/rgb/*.jpg|png."),
    out: Path = typer.Option(..., "--out", help="Pose bank: writes <out>/<class>/<video>.npz."),
    workers: int = typer.Option(0, "--workers", help="Processes (0 = one per CPU core)."),
    min_detection: float = typer.Option(0.6, "--min-detection", help="Skip videos with a person in fewer frames."),
    max_gap: int = typer.Option(10, "--max-gap", help="Fill runs of up to N frames without a person; cut at longer."),
    smooth_s: float = typer.Option(0.2, "--smooth", help="Savitzky-Golay window in seconds (0 = off)."),
    max_frames: int | None = typer.Option(None, "--max-frames", help="Read at most N frames of each video."),
    fps: float = typer.Option(30.0, "--fps", help="Frame rate of TAO frame folders (videos carry their own)."),
    bone_tolerance: float = typer.Option(
        0.3, "--bone-tolerance", help="Drop detections with a limb this fraction off its median length (0 = off)."
    ),
    report: Path | None = typer.Option(None, "--report", help="CSV report (default <out>/extract_report.csv)."),
) -> None:
    """Extract 3D poses from videos with MediaPipe Pose (offline, CPU) into canonical SMPL-22 .npz, one a video."""
    from generation.extract import ExtractOptions, extract_videos

    options = ExtractOptions(
        min_detection=min_detection, max_gap=max_gap, smooth_seconds=smooth_s, max_frames=max_frames, folder_fps=fps,
        bone_tolerance=bone_tolerance,
    )
    rows = extract_videos(videos_dir, out, options, workers=workers)
    _finish(rows, videos_dir, report or out / "extract_report.csv")


@poses_app.command("import")
def import_(
    src_dir: Path = typer.Argument(..., help="<class>/ folders of pose files from another estimator."),
    out: Path = typer.Option(..., "--out", help="Pose bank: writes <out>/<class>/<name>.npz."),
    fmt: str = typer.Option("auto", "--format", help="strided, humanml3d, bvh or auto (by suffix)."),
    fps: float | None = typer.Option(None, "--fps", help="Frame rate of StridedTransformer files (default 30)."),
    report: Path | None = typer.Option(None, "--report", help="CSV report (default <out>/import_report.csv)."),
) -> None:
    """Import StridedTransformer .npz, HumanML3D .npy or BVH folders as canonical .npz (label = class folder)."""
    from generation.extract import import_poses

    rows = import_poses(src_dir, out, fmt, fps=fps)
    _finish(rows, src_dir, report or out / "import_report.csv")
