"""Render time of a trial's synthetic set made to look like the footage, against today's mannequin on flat grey.

    autosynthda bench look [--clips 16] [--frames 32] [--sizes 64,224] [--out bench/results/look.md]

The same clips (bundled sample poses), rendered and written as JPEG frame folders by render_and_write:
(a) SynthDa's look, drawn views framed on the whole square, flat grey background;
(b) a video study's look: views_per_clip 2, each pair's first clip from its source camera on its own video's clean
    plate, the second a drawn view framed inside a seeded plate's letterbox, the bars blacked out.
(b) includes dressing the jobs (cameras, plates, masks) as assemble_trial does. Goal (issue 14): (b) <= 1.5 x (a).
The plates are real: clean plates of ../shared/videos footage when $AUTOSYNTHDA_SHARED (or ../shared) has it, else a
textured picture (JPEG cost depends on texture, so never a flat one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.render import bench_poses, device_name
from generation.dataset.looks import Dressing
from generation.dataset.rendering import ClipJob, render_and_write
from generation.dataset.settings import RenderSettings
from generation.render import parse_views
from generation.videos.geometry import FrameGeometry, SourceCamera
from generation.videos.look import SourceLook
from generation.videos.plates import clean_plate

GOAL = 1.5
VIEWS = "front,front-left,front-right,random:4"


def _footage() -> list[tuple[np.ndarray, str]]:
    """A few frames of each shared video (upright RGB), or [] when the footage is not here."""
    shared = Path(os.environ.get("AUTOSYNTHDA_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    videos = [shared / "videos" / "sports2d" / "demo.mp4", shared / "videos" / "pose2sim" / "trial_1" / "cam01.mp4"]
    out = []
    for path in videos:
        if not path.is_file():
            continue
        import av

        with av.open(str(path)) as container:
            frames = []
            for i, frame in enumerate(container.decode(video=0)):
                if i >= 48:
                    break
                if i % 6 == 0:
                    frames.append(frame.to_ndarray(format="rgb24"))
        out.append((np.stack(frames), path.name))
    return out


def make_looks(size: int, directory: Path) -> dict[str, SourceLook]:
    """One landscape and one portrait look, each with a clean plate and a camera watching a person cross."""
    footage = _footage()
    if not footage:
        rng = np.random.default_rng(0)
        texture = rng.integers(0, 256, (9, 16, 3), dtype=np.uint8)
        big = np.asarray(Image.fromarray(texture).resize((1920, 1080), Image.BICUBIC))
        footage = [(big[None], "texture-landscape"), (big.transpose(1, 0, 2)[None], "texture-portrait")]
    looks = {}
    for k, (frames, name) in enumerate(footage):
        height, width = frames.shape[1:3]
        geometry = FrameGeometry((width, height), size)
        x0, y0, w, h = geometry.content
        boxed = np.zeros((len(frames), size, size, 3), np.uint8)
        for i, frame in enumerate(frames):
            boxed[i, y0:y0 + h, x0:x0 + w] = np.asarray(Image.fromarray(frame).resize((w, h), Image.BILINEAR))
        plate = directory / f"plate{k}_{size}.png"
        Image.fromarray(clean_plate(boxed)).save(plate)
        t = np.arange(120) / 30.0
        root = np.stack([0.4 * t - 0.8, 0.2 + 0 * t, 4.5 + 0 * t], axis=-1)
        camera = SourceCamera(np.eye(3), math.radians(55.0), (width, height), root, 30.0)
        looks[f"video{k}_{name}"] = SourceLook(f"video{k}_{name}", geometry, camera, plate)
    return looks


def _jobs(joints: np.ndarray, out: Path, settings: RenderSettings, looks: dict | None, seed: int) -> list[ClipJob]:
    """Two clips per pose clip, as views_per_clip 2: a drawn view and another (a); the source camera and a drawn
    view, dressed (b)."""
    rng = np.random.default_rng(seed)
    views = parse_views(VIEWS, seed=seed)
    dressing = Dressing(looks, settings, seed) if looks else None
    sources = sorted(looks) if looks else []
    jobs = []
    for i, clip in enumerate(joints):
        picks = [views[int(v)] for v in rng.choice(len(views), size=2, replace=False)]
        if dressing is not None:
            picks[0] = dressing.SOURCE
        for view in picks:
            job = ClipJob(clip, view, seed, out / f"syn_{len(jobs):04d}", 30.0)
            if dressing is not None:
                job, _ = dressing.dress(job, sources[i % len(sources)])
            jobs.append(job)
    return jobs


def run_look_benchmark(clips: int = 16, frames: int = 32, sizes: tuple[int, ...] = (64, 224), repeats: int = 3,
                       out: Path | None = Path("bench/results/look.md")) -> list[dict]:
    poses = bench_poses(clips // 2, frames).numpy()
    rows = []
    with tempfile.TemporaryDirectory(prefix="autosynthda-bench-look-") as scratch:
        scratch = Path(scratch)
        for size in sizes:
            looks = make_looks(size, scratch)
            times: dict[str, list[float]] = {"flat": [], "plates": []}
            for rep in range(repeats + 1):  # the first round warms up
                for kind in ("flat", "plates"):
                    settings = RenderSettings(size=size, format="jpg", synthetic_views=VIEWS, views_per_clip=2,
                                              **({"camera": "source", "background": "plates"} if kind == "plates"
                                                 else {}))
                    target = scratch / f"{kind}_{size}_{rep}"
                    start = time.perf_counter()
                    jobs = _jobs(poses, target, settings, looks if kind == "plates" else None, seed=rep)
                    render_and_write(jobs, settings, desc=f"{kind} {size}px")
                    if rep:
                        times[kind].append(time.perf_counter() - start)
            flat, plates = statistics.median(times["flat"]), statistics.median(times["plates"])
            rows.append({"size": size, "clips": len(jobs), "frames": len(jobs) * frames, "flat_s": flat,
                         "plates_s": plates, "ratio": plates / flat, "plates": ", ".join(sorted(looks))})
    if out is not None:
        write_table(rows, repeats, Path(out))
    return rows


def write_table(rows: list[dict], repeats: int, out: Path) -> None:
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    met = all(r["ratio"] <= GOAL for r in rows)
    lines = [
        "# Look benchmark: plates + source cameras vs mannequin on flat grey",
        "",
        f"- device: {device_name(torch.device('cpu'))} (cpu), torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}, python {platform.python_version()}",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}; load average at the end: {load}",
        f"- median of {repeats} runs after a warm-up; render + JPEG frame folders (render_and_write), job dressing "
        "included for plates",
        f"- plates: {rows[0]['plates'] if rows else 'none'} (one landscape, one portrait)",
        f"- goal: plates + source cameras within {GOAL}x of flat: **{'met' if met else 'missed'}**",
        "",
        "| size | clips | frames | flat + views (s) | plates + source cameras (s) | ratio | frames/s flat | "
        "frames/s plates |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['size']} | {r['clips']} | {r['frames']} | {r['flat_s']:.2f} | {r['plates_s']:.2f} | "
                     f"{r['ratio']:.2f} | {r['frames'] / r['flat_s']:.0f} | {r['frames'] / r['plates_s']:.0f} |")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=16, help="synthetic clips in the set (two per pose clip)")
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--sizes", default="64,224")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/look.md"))
    args = parser.parse_args()
    rows = run_look_benchmark(args.clips, args.frames, tuple(int(s) for s in args.sizes.split(",")), args.repeats,
                              args.out)
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
