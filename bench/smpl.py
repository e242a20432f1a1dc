"""Fit accuracy and speed: the batched fit against the joints2smpl-style sequential baseline, on the same clips.

    autosynthda bench smpl [--model-dir DIR] [--threads N] [--contact-sheet PNG]      (make bench-smpl)

Without --model-dir the body is testing.toy_body's procedural stand-in (not SMPL: ~4,700 vertices against
SMPL's 6,890, its own skeleton): accuracy then says how well each method fits a body to these skeletons, and speed
is representative (the batched fit never touches vertices; the baseline runs the full layer, a little cheaper than
SMPL's). With --model-dir the same table is made for the user's SMPL_NEUTRAL.pkl.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bench.render import device_name
from generation.body.fit import FitResult, FitSettings, fit_joints
from generation.body.model import BodyModel, load_body_model
from generation.body.sequential import SequentialSettings, fit_sequential
from testing.known_motion import known_motion
from testing.toy_body import write_toy_model

# joints2smpl's own default is 100 iterations (SynthDa: 1); 10 shows what more iterations buy the baseline.
MORE_ITERATIONS = 10
SHEET_CLIPS = ("walk_humanoid3d_walk_00", "fall_Boxing_Toes_00", "jump_01_01_03", "punch_Boxing_Toes_01")


@dataclass(frozen=True)
class Row:
    data: str
    method: str
    device: str
    clips: int
    result: FitResult

    def cells(self) -> list[str]:
        per_1000 = self.result.seconds / self.result.frames * 1000.0
        return [self.data, self.method, self.device, str(self.clips), str(self.result.frames),
                f"{self.result.mean_error_mm:.1f}", f"{per_1000:.2f}"]


def _bundled(stems: Sequence[str] | None = None) -> list[tuple[str, np.ndarray]]:
    from generation.poses import load_poses
    from generation.samples import sample_files

    files = [p for p in sample_files() if stems is None or p.stem in stems]
    return [(p.stem, load_poses(p).joints) for p in files]


def run_smpl_benchmark(
    out: Path,
    *,
    model_dir: Path | None = None,
    device: str = "auto",
    fit_settings: FitSettings | None = None,
    log: Callable[[str], None] = print,
) -> str:
    """Fit, time, and write the markdown table to out; returns it."""
    fit_settings = fit_settings or FitSettings()
    with tempfile.TemporaryDirectory(prefix="autosynthda-smpl-") as scratch:
        model = load_body_model(model_dir if model_dir is not None else write_toy_model(scratch))
        model_label = (f"`{model.path}`" if model_dir is not None else
                       "the procedural stand-in of `testing/toy_body.py` (**not SMPL**)")
        rows = _measure(model, device, fit_settings, log)
    threads = torch.get_num_threads()
    lines = [
        "# SMPL fit benchmark",
        "",
        f"- body model: {model_label}, {model.num_vertices} vertices, {model.num_betas} betas",
        f"- CPU: {device_name(torch.device('cpu'))}, torch {torch.__version__}, {threads} thread"
        f"{'s' * (threads > 1)}, python {platform.python_version()}",
        f"- date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}; load average at the end: "
        f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}",
        f"- batched: every frame of every clip in one optimisation, {fit_settings.iterations} Adam iterations, one "
        "shape per clip (generation.body.fit)",
        "- sequential: joints2smpl as SynthDa runs it, frame after frame, warm-started from the previous frame, betas "
        "at frame 0 only, `num_smplify_iters` 1 (generation.body.sequential)",
        "- error: mean distance between the fitted body's 22 joints and the target joints, every frame; time: wall "
        "clock of the fit alone (no mesh, no rendering), per 1000 frames",
        "- data: *bundled* = all real mocap clips of generation/samples (their skeletons are not SMPL's: a floor "
        "of error remains for any fit); *known* = clips made by the same body model from known smooth random poses "
        "(exact fits exist)",
        "",
        "| data | method | device | clips | frames | mean per-joint error (mm) | s per 1000 frames |",
        "|---|---|---|---:|---:|---:|---:|",
        *("| " + " | ".join(row.cells()) + " |" for row in rows),
        "",
        "The toy model stands in for SMPL, which this project never ships. Real SMPL numbers: "
        "`autosynthda bench smpl --model-dir DIR` with DIR holding your SMPL_NEUTRAL.pkl (https://smpl.is.tue.mpg.de).",
        "",
    ]
    table = "\n".join(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table)
    return table


def _measure(model: BodyModel, device: str, settings: FitSettings, log: Callable[[str], None]) -> list[Row]:
    bundled = [joints for _, joints in _bundled()]
    known = [known_motion(model, 45, seed).joints for seed in range(3)]
    devices = ["cpu"] + (["cuda"] if device != "cpu" and torch.cuda.is_available() else [])
    fit_joints(model, known[:1], FitSettings(iterations=2))  # warm-up: lazy imports, allocator
    rows = []

    def add(data: str, method: str, dev: str, clips: list[np.ndarray], result: FitResult) -> None:
        rows.append(Row(data, method, dev, len(clips), result))
        log(" | ".join(rows[-1].cells()))

    for data, clips in (("known", known), ("bundled", bundled)):
        for dev in devices:
            add(data, "batched", dev, clips, fit_joints(model, clips, settings, device=dev))
        add(data, "sequential (joints2smpl, 1 iteration)", "cpu", clips,
            fit_sequential(model, clips, SequentialSettings(), device="cpu"))
        if data == "known":
            more = SequentialSettings(smplify_iterations=MORE_ITERATIONS)
            add(data, f"sequential (joints2smpl, {MORE_ITERATIONS} iterations)", "cpu", clips,
                fit_sequential(model, clips, more, device="cpu"))
    return rows


def write_smpl_contact_sheet(path: Path, *, model_dir: Path | None = None, size: int = 112, frames: int = 6) -> Path:
    """Fitted-mesh clips of bundled walk, fall, jump and punch clips, front-left view, as a contact sheet PNG."""
    from generation.body.render import render_smpl_clips
    from generation.render import NAMED_VIEWS, RenderOptions
    from generation.writers import write_contact_sheet

    clips = _bundled(SHEET_CLIPS)
    with tempfile.TemporaryDirectory(prefix="autosynthda-smpl-") as scratch:
        folder = model_dir if model_dir is not None else write_toy_model(scratch).parent
        # A mid grey body (SynthDa's is near black) so that the smooth shading of the mesh can be seen.
        options = RenderOptions(body_color=(0.62, 0.62, 0.66))
        rendered = render_smpl_clips([j for _, j in clips], [NAMED_VIEWS["front-left"]] * len(clips), size,
                                     model_dir=folder, options=options, device="cpu")
    videos = [rendered[i, : len(j)].numpy() for i, (_, j) in enumerate(clips)]
    labels = [stem.split("_")[0] for stem, _ in clips]
    return write_contact_sheet(videos, path, frames_per_clip=frames, labels=labels)
