"""`autosynthda poses ...`: convert pose files to the canonical format and inspect them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from generation.errors import PoseDataError
from generation.poses import (
    FORMATS,
    bounding_box,
    estimate_stature,
    iter_pose_files,
    load_poses,
    save_canonical,
)
from optimizer.cli.app import app

poses_app = typer.Typer(no_args_is_help=True, help="Read, convert and inspect 3D pose files.")
app.add_typer(poses_app, name="poses")


@poses_app.command("convert")
def convert(
    src: Path = typer.Argument(..., help="A pose file (or a folder of them) in any supported format."),
    out: Path = typer.Option(..., "--out", help="Output .npz (or a folder when SRC is a folder)."),
    fmt: str = typer.Option("auto", "--format", help=f"Input format: {', '.join(FORMATS)}."),
    label: str | None = typer.Option(None, "--label", help="Action class to store (overrides the file's own)."),
) -> None:
    """Convert pose files to the canonical SMPL-22 .npz (y down, metres)."""
    if src.is_dir():
        files = iter_pose_files(src)
        if not files:
            raise PoseDataError(src, "path", "no pose files found in this folder")
        targets = [(f, out / f.relative_to(src).with_suffix(".npz")) for f in files]
    else:
        if out.suffix != ".npz":
            raise PoseDataError(out, "--out", "must end in .npz")
        targets = [(src, out)]
    # Load everything first so a bad file fails before anything is written.
    converted = [(load_poses(f, fmt=fmt, label=label), dst) for f, dst in targets]
    for seq, dst in converted:
        save_canonical(seq, dst)
        typer.echo(f"{seq.source} -> {dst} ({seq.num_frames} frames, {seq.fps:g} fps, label {seq.label or '-'})")


@poses_app.command("info")
def info(
    file: Path = typer.Argument(..., help="A pose file in any supported format."),
    fmt: str = typer.Option("auto", "--format", help=f"Input format: {', '.join(FORMATS)}."),
) -> None:
    """Print joint set, frames, fps, label and bounding box of a pose file."""
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
