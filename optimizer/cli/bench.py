"""`autosynthda bench ...`: benchmarks that write their tables under bench/results/."""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.cli.checks import check_device

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks; each writes a markdown table under bench/results/.")


@bench_app.command("render")
def bench_render(
    device: str = typer.Option("auto", "--device", help="auto (cuda if available), cpu, cuda, cuda:N."),
    threads: int = typer.Option(0, "--threads", help="torch CPU threads (0: torch's default)."),
    batch_sizes: str = typer.Option("1,8,64", "--batch-sizes", help="Clips per render call."),
    out: Path = typer.Option(Path("bench/results/render.md"), "--out", help="Where the table goes."),
) -> None:
    """Frames/s of 224x224, 32-frame clips: rendering alone, and rendering + writing JPG / PNG frame folders."""
    # Benchmarks and torch are imported here, in the command that needs them: the library never depends on bench/.
    import tempfile

    import torch

    from bench.render import run_render_benchmark
    from generation.writers import write_frame_folders

    check_device(device)
    if threads:
        torch.set_num_threads(threads)
    resolved = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    with tempfile.TemporaryDirectory(prefix="autosynthda-bench-") as scratch:

        def writer(fmt: str):
            def write(frames: torch.Tensor, call: int) -> None:
                clips = frames.cpu().numpy()
                write_frame_folders(
                    [(clip, Path(scratch) / fmt / f"call{call % 2}" / f"clip{i}") for i, clip in enumerate(clips)],
                    fmt=fmt,
                )

            return write

        run_render_benchmark(
            resolved, [int(b) for b in batch_sizes.split(",")], out=out,
            writers={"jpg": writer("jpg"), "png": writer("png")},
        )
    typer.echo(out.read_text())


@bench_app.command("samplers")
def bench_samplers(
    seeds: int = typer.Option(30, "--seeds", help="Seeds per objective, noise level and sampler."),
    gp_seeds: int | None = typer.Option(None, "--gp-seeds", help="GP seeds (default: --seeds)."),
    jobs: int = typer.Option(2, "--jobs", help="Worker processes."),
    out: Path = typer.Option(Path("bench/results/samplers.md"), "--out", help="Where the table goes."),
) -> None:
    """legacy, spsa, TPE, GP and random on toy objectives of known optimum (noise 0, 0.01, 0.03): trials until the
    answer is within 0.02 of the optimum, and its distance after 10 / 20 / 40 trials."""
    import time

    from bench.samplers import run_benchmark, write_table

    started = time.perf_counter()
    gp_seeds = seeds if gp_seeds is None else gp_seeds
    cells = run_benchmark(seeds, gp_seeds, jobs, log=typer.echo)
    wall = time.perf_counter() - started
    typer.echo(write_table(cells, out, seeds=seeds, gp_seeds=gp_seeds, jobs=jobs, wall=wall))


@bench_app.command("workers")
def bench_workers(
    counts: str = typer.Option("1,2,4,8", "--workers", help="Worker counts, comma-separated."),
    storages: str = typer.Option("postgresql,journal", "--storages", help="postgresql and/or journal."),
    seconds: float = typer.Option(2.0, "--seconds", help="The stand-in scorer's sleep per trial."),
    trials_per_worker: int = typer.Option(4, "--trials-per-worker", help="Trials per worker in each run."),
    out: Path = typer.Option(Path("bench/results/workers.md"), "--out", help="Where the table goes."),
) -> None:
    """Trials/hour and scaling efficiency of 1-8 workers on PostgreSQL (a throwaway local server) and on a journal
    file, with the 2-s stand-in scorer: what the driver and the storage cost per trial."""
    from bench.workers import run_workers_benchmark, write_table

    rows = run_workers_benchmark([int(c) for c in counts.split(",")], storages.split(","), seconds, trials_per_worker,
                                 log=typer.echo)
    typer.echo(write_table(rows, out, seconds=seconds, trials_per_worker=trials_per_worker))


@bench_app.command("smpl")
def bench_smpl(
    model_dir: Path | None = typer.Option(
        None, "--model-dir", help="Folder with your SMPL_NEUTRAL.pkl (default: the procedural toy stand-in, not SMPL)."
    ),
    device: str = typer.Option("auto", "--device", help="auto (adds CUDA rows when a GPU is present) or cpu."),
    threads: int = typer.Option(0, "--threads", help="torch CPU threads (0: torch's default)."),
    iterations: int = typer.Option(200, "--iterations", help="Adam iterations of the batched fit."),
    out: Path = typer.Option(Path("bench/results/smpl.md"), "--out", help="Where the table goes."),
    sheet: Path | None = typer.Option(None, "--contact-sheet", help="Also write fitted-mesh clips as a PNG here."),
) -> None:
    """Batched SMPL fit vs joints2smpl's sequential 1-iteration fit: mean per-joint error (mm), s per 1000 frames."""
    import torch

    from bench.smpl import run_smpl_benchmark, write_smpl_contact_sheet
    from generation.body import FitSettings, load_body_model

    if threads:
        torch.set_num_threads(threads)
    if model_dir is not None:
        load_body_model(model_dir)  # a missing or wrong model fails before any work
    table = run_smpl_benchmark(out, model_dir=model_dir, device=device, fit_settings=FitSettings(iterations=iterations),
                               log=typer.echo)
    typer.echo(table)
    if sheet is not None:
        typer.echo(f"contact sheet {write_smpl_contact_sheet(sheet, model_dir=model_dir)}")


@bench_app.command("cli")
def bench_cli(
    runs: int = typer.Option(5, "--runs", help="Runs of each command (after one warm-up run)."),
    out: Path = typer.Option(Path("bench/results/cli.md"), "--out", help="Where the table goes."),
) -> None:
    """Start-up time and peak memory of `autosynthda --help` and `autosynthda status STUDY`."""
    from bench.cli import run_cli_benchmark, write_table

    typer.echo(write_table(run_cli_benchmark(runs, log=typer.echo), out))


@bench_app.command("ingest")
def bench_ingest(
    runs: int = typer.Option(3, "--runs", help="Runs of each ingest setting (the median is reported)."),
    pose_frames: int = typer.Option(48, "--pose-frames", help="Frames of the clip that pose extraction reads."),
    out: Path = typer.Option(Path("bench/results/ingest.md"), "--out", help="Where the table goes."),
) -> None:
    """Real-frame ingest of a 1080p H.264 clip at 224 px (decode + letterbox + write, frames/s) and MediaPipe pose
    extraction frames/s."""
    from bench.ingest import run_ingest_benchmark, write_table

    typer.echo(write_table(run_ingest_benchmark(runs, pose_frames, log=typer.echo), out, runs=runs))


@bench_app.command("look")
def bench_look(
    clips: int = typer.Option(16, "--clips", help="Synthetic clips in the set (two per pose clip)."),
    frames: int = typer.Option(32, "--frames", help="Frames per clip."),
    sizes: str = typer.Option("64,224", "--sizes", help="Frame sizes, comma-separated."),
    repeats: int = typer.Option(3, "--repeats", help="Runs of each setting (the median is reported)."),
    out: Path = typer.Option(Path("bench/results/look.md"), "--out", help="Where the table goes."),
) -> None:
    """A trial's synthetic set on clean plates seen from source cameras vs mannequins on flat grey (goal: 1.5x)."""
    from bench.look import run_look_benchmark

    for row in run_look_benchmark(clips, frames, tuple(int(s) for s in sizes.split(",")), repeats, out):
        typer.echo(row)
