"""`autosynthda mix`: blend one pair exactly as SynthDa would, at any weight."""

from __future__ import annotations

from pathlib import Path

import typer

from generation.choices import BlendMethod, MixMode, PoseFormat, names
from optimizer.cli.checks import check_out_file

POSE_FORMATS = ", ".join(names(PoseFormat))


def mix(
    real: Path = typer.Option(..., "--real", help="The real clip (StridedTransformer .npz or any pose file)."),
    other: Path = typer.Option(..., "--other", help="The second motion: text-to-motion .npy or another real clip."),
    weight: float = typer.Option(..., "--weight", help="Blend weight w in [0, 1] (SynthDa's w_A for synthda)."),
    mode: str = typer.Option(..., "--mode", help=f"Mix mode: {', '.join(names(MixMode))}."),
    method: str = typer.Option("synthda", "--method", help=f"Blend method: {', '.join(names(BlendMethod))}."),
    out: Path = typer.Option(..., "--out", help="Output .npy: the blended (T, 22, 3) float64 sequence."),
    real_format: str = typer.Option("auto", "--real-format", help=f"Format of --real: {POSE_FORMATS}."),
    other_format: str = typer.Option("auto", "--other-format", help=f"Format of --other: {POSE_FORMATS}."),
) -> None:
    """Blend --real with --other at --weight and write the (T, 22, 3) float64 result."""
    import numpy as np

    from generation.atomic import atomic_file
    from generation.blend import align_pair
    from generation.poses import load_poses

    check_out_file(out, suffix=".npy")
    pair = align_pair(load_poses(real, fmt=real_format), load_poses(other, fmt=other_format), mode)
    blended = pair.blend(weight, method)
    with atomic_file(out) as tmp, open(tmp, "wb") as fh:
        np.save(fh, blended)
    typer.echo(f"{out}: {blended.shape[0]} frames, {method} at w={weight:g} ({mode})")
