"""Rendering throughput: frames/s of render_clips for 224 x 224 clips of 32 frames at several batch sizes.

    autosynthda bench render [--device cuda] [--threads 2]      (make bench-render)

Rendering alone, into device tensors (CUDA is synchronised before the clock stops). Poses are the bundled sample
clips (a procedural walk when there are none), one random view per clip, cameras framed beforehand. Each named
writer(frames, batch_index) callable adds a "render + write NAME" column.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from generation.render.cameras import frame_body, parse_views
from generation.render.options import RenderOptions
from generation.render.renderer import render_clips
from generation.samples import SAMPLE_DIR
from testing.demo_poses import walking_clip

Writer = Callable[[torch.Tensor, int], None]


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bench_poses(batch: int, frames: int, seed: int = 0) -> torch.Tensor:
    """(B, T, 22, 3): the bundled sample clips when there are any, else walks with varied heading and speed."""
    clips = _sample_clips(frames)
    rng = np.random.default_rng(seed)
    out = []
    for b in range(batch):
        if clips:
            out.append(clips[b % len(clips)])
        else:
            out.append(walking_clip(frames, heading_deg=float(rng.uniform(-180, 180)),
                                    speed=float(rng.uniform(0.6, 1.4))))
    return torch.tensor(np.stack(out))


def _sample_clips(frames: int) -> list[np.ndarray]:
    if not SAMPLE_DIR.is_dir():
        return []
    from generation.poses import load_poses  # only needed when samples exist

    clips = []
    for path in sorted(SAMPLE_DIR.glob("*.npz")):
        try:
            joints = load_poses(path).joints
        except Exception:  # noqa: BLE001 - a sample in another format is simply not used here
            continue
        if joints.shape[0] >= frames and joints.shape[1] == 22:
            clips.append(np.asarray(joints[:frames], dtype=np.float32))
    return clips


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(fn: Callable[[], object], device: torch.device, repeats: int) -> list[float]:
    fn()  # warm-up: allocations, kernels, scratch buffers
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def run_render_benchmark(
    device: str | torch.device = "cpu",
    batch_sizes: Sequence[int] = (1, 8, 64),
    frames: int = 32,
    size: int = 224,
    out: Path | None = Path("bench/results/render.md"),
    *,
    writers: Mapping[str, Writer] | None = None,
    options: RenderOptions | None = None,
    repeats: int | None = None,
    min_seconds: float = 1.0,
) -> list[dict]:
    """Measure and (when out is given) write a markdown table. Returns one dict per batch size.

    fps = B * frames / seconds per render_clips call, median over repeats (best also reported): the host is shared,
    and the median is what a long generation run sees. repeats defaults to enough calls for ~min_seconds.
    """
    device = torch.device(device)
    options = options or RenderOptions()
    rows = []
    for batch in batch_sizes:
        joints = bench_poses(batch, frames).to(device)
        cams = frame_body(joints, parse_views(f"random:{batch}", seed=batch), (size, size))

        def render(joints=joints, cams=cams, seed=batch) -> torch.Tensor:
            return render_clips(joints, cams, (size, size), seed=seed, options=options)

        first = _time(render, device, 1)[0]
        n = repeats or max(3, min(50, int(min_seconds / max(first, 1e-6))))
        times = _time(render, device, n)
        row = {
            "batch": batch, "frames": batch * frames, "repeats": n,
            "fps_median": batch * frames / statistics.median(times), "fps_best": batch * frames / min(times),
            "ms_per_call": 1e3 * statistics.median(times),
        }  # fmt: skip
        for name, writer in (writers or {}).items():
            state = {"i": 0}

            def render_and_write(render=render, state=state, writer=writer) -> None:
                writer(render(), state["i"])
                state["i"] += 1

            wtimes = _time(render_and_write, device, n)
            row[f"fps_write_{name}"] = batch * frames / statistics.median(wtimes)
        rows.append(row)
    if out is not None:
        write_table(rows, device, frames, size, options, Path(out))
    return rows


def write_table(rows: list[dict], device: torch.device, frames: int, size: int, options: RenderOptions,
                out: Path) -> None:
    names = [key.removeprefix("fps_write_") for key in rows[0] if key.startswith("fps_write_")] if rows else []
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    lines = [
        "# Render benchmark",
        "",
        f"- device: {device_name(device)} ({device.type})",
        f"- torch {torch.__version__}, threads {torch.get_num_threads()}, python {platform.python_version()}",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}; load average at the end: {load}",
        f"- {size}x{size} clips of {frames} frames, one random view per clip, tile {options.tile_size}, "
        f"background {options.background}; 'frames/s' renders into device tensors only (no encoding, no disk); "
        "'render + write' also encodes and writes every frame as a TAO frame folder",
        "",
        "| batch (clips) | frames per call | frames/s (median) | frames/s (best) | ms per call |"
        + "".join(f" frames/s render + write {n.upper()} |" for n in names),
        "|---:|---:|---:|---:|---:|" + "---:|" * len(names),
    ]
    for r in rows:
        line = (f"| {r['batch']} | {r['frames']} | {r['fps_median']:.0f} | {r['fps_best']:.0f} | "
                f"{r['ms_per_call']:.1f} |")
        line += "".join(f" {r[f'fps_write_{n}']:.0f} |" for n in names)
        lines.append(line)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
