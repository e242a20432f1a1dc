"""`autosynthda render`: pose files to TAO frame folders (and mp4 previews, a contact sheet)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from generation.atomic import check_writable_dir
from generation.body import read_model_file, resolve_model_file
from generation.dataset import ClipJob, RenderSettings, render_and_write
from generation.dataset.rendering import BODIES
from generation.errors import PoseDataError
from generation.partials import clear_incomplete, mark_incomplete, sweep_partials
from generation.poses import iter_pose_files, load_poses
from generation.render import RenderError, parse_views
from generation.safe_names import check_component
from generation.writers import FRAME_FORMATS, write_contact_sheet, write_mp4
from optimizer.cli.app import app


@app.command("render")
def render(
    poses: Path = typer.Argument(..., help="A pose file or a folder of them (any supported format)."),
    out: Path = typer.Option(..., "--out", help="Output root: <out>/<label>/<clip>__<view>/rgb/000000.jpg ..."),
    views: str = typer.Option("front", "--views", help="e.g. front,back,random:4 (named, random:N, custom:AZ:EL)."),
    fmt: str = typer.Option("jpg", "--format", help=f"Frame format: {', '.join(FRAME_FORMATS)}."),
    size: int = typer.Option(224, "--size", help="Frame edge in pixels."),
    mp4: bool = typer.Option(False, "--mp4", help="Also write H.264 previews to <out>_previews/."),
    sheet: bool = typer.Option(False, "--contact-sheet", help="Also write <out>_previews/contact_sheet.png."),
    appearance: str = typer.Option("synthda", "--appearance", help="synthda (grey on grey) or randomized."),
    seed: int = typer.Option(0, "--seed", help="Seed of random views and appearance."),
    device: str = typer.Option("auto", "--device", help="auto (cuda if available), cpu, cuda, cuda:N."),
    body: str = typer.Option("mannequin", "--body", help="mannequin, or smpl (SMPL fitted to the joints)."),
    smpl_model_dir: Path | None = typer.Option(
        None, "--smpl-model-dir", help="Folder with your SMPL_NEUTRAL.pkl (default: $SMPL_MODEL_DIR); --body smpl."
    ),
) -> None:
    """Render pose clips as TAO frame folders, one video per clip and view.

    <out> holds only class folders, so it can be given to TAO as a dataset root; previews go beside it.
    """
    files = iter_pose_files(poses)
    if not files:
        raise PoseDataError(poses, "path", "no pose files found")
    if body not in BODIES:
        raise RenderError(f"--body: unknown body {body!r} (known: {', '.join(BODIES)})")
    if body == "smpl":
        read_model_file(resolve_model_file(smpl_model_dir))  # a missing or wrong model fails before any work
    settings = RenderSettings(size=size, fmt=fmt, appearance=appearance, device=device, body=body,
                              smpl_model_dir=str(smpl_model_dir) if smpl_model_dir else None)
    view_list = parse_views(views, seed=seed)
    clips = [load_poses(f) for f in files]  # every input is validated before anything is written
    for seq in clips:  # its label and file stem become folders under --out
        check_component(Path(seq.source).stem, "file name", seq.source)
        if seq.label:
            check_component(seq.label, "label", seq.source)
    check_writable_dir(out)  # and the output before any rendering
    previews = out.parent / f"{out.name}_previews"
    for root in (out, previews):  # what killed renders left (their owner is dead); a live render's entries stay
        sweep_partials(root)
    if mark_incomplete(out):
        typer.echo(f"{out}: a previous render into it was killed before it finished; rendering every clip again")
    jobs, labels = [], []
    for seq in clips:
        stem = Path(seq.source).stem
        for view in view_list:
            video = f"{stem}__{view.name.replace(':', '_')}"
            jobs.append(ClipJob(seq.joints, view, seed, out / (seq.label or "unlabelled") / video, seq.fps))
            labels.append(f"{seq.label or stem} / {view.name}")
    kept: dict[Path, np.ndarray] = {}
    keep = (lambda job, frames: kept.__setitem__(job.clip_dir, frames)) if (mp4 or sheet) else None
    render_and_write(jobs, settings, on_clip=keep)
    clear_incomplete(out)  # every clip folder is in place: TAO may read the root
    typer.echo(f"{len(jobs)} clips ({len(clips)} pose files x {len(view_list)} views) -> {out}")
    if mp4:
        for job in jobs:
            path = write_mp4(kept[job.clip_dir], previews / f"{job.clip_dir.name}.mp4", fps=job.fps)
            typer.echo(f"preview {path}")
    if sheet:
        path = write_contact_sheet([kept[job.clip_dir] for job in jobs], previews / "contact_sheet.png", labels=labels)
        typer.echo(f"contact sheet {path}")
