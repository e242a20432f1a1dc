"""`autosynthda bench workers`: trials/hour of 1, 2, 4, 8 workers on PostgreSQL and on a journal file.

The scorer is the stand-in (it sleeps `seconds`, as TAO would train), so the table measures what the driver and the
storage add: per-trial generation/rendering of the trial's clips, the storage round trips, the workers' polling.
Workers are the real `autosynthda worker` command, each a process, after one `autosynthda setup`.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import optuna
import yaml
from optuna.trial import TrialState

from optimizer.study.storage import open_storage
from testing.postgres import PostgresUnavailable, throwaway_postgres

BENCH_STUDY = {
    "name": "bench",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 64, "real_views": "front,front-left,front-right", "synthetic_views": "front,random:4"},
    "search": {"seed": 0, "sampler": "random"},
    "tracking": {"enabled": False},
}


@dataclass(frozen=True)
class WorkersRow:
    storage: str
    workers: int
    trials: int
    window_s: float  # first trial start to last trial end
    trials_per_hour: float
    ideal_per_hour: float  # workers x 3600 / seconds: nothing but the scorer's sleep
    efficiency: float  # trials_per_hour / (workers x the 1-worker trials_per_hour)
    mean_trial_s: float
    mean_render_s: float
    mean_storage_s: float  # trial duration not spent in generation, rendering, scoring: Optuna and storage calls
    busy: float  # share of the window the workers spent inside trials (the rest: polling, start-up stragglers)


def _config(dir: Path, trials: int, seconds: float) -> Path:
    from optimizer.config import REPO

    config = {**BENCH_STUDY, "data": {**BENCH_STUDY["data"], "real": str(REPO / BENCH_STUDY["data"]["real"])},
              "search": {**BENCH_STUDY["search"], "trials": trials},
              "scorer": {"kind": "standin", "standin_seconds": seconds}}
    path = dir / "bench.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "optimizer.cli", *map(str, args)]


def run_once(storage: str, kind: str, workers: int, trials: int, seconds: float, scratch: Path) -> WorkersRow:
    config, studies = _config(scratch, trials, seconds), scratch / "studies"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run(_cli("setup", config, "--storage", storage, "--studies-dir", studies, "--device", "cpu"),
                   check=True, capture_output=True, env=env)
    # Each worker its share of the cores: N workers with all cores' torch threads each thrash (2x slower renders).
    threads = max(1, (os.cpu_count() or 1) // workers)
    argv = _cli("worker", config, "--storage", storage, "--studies-dir", studies, "--threads", threads)
    procs = [subprocess.Popen([*argv, "--seed", str(i)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
             for i in range(workers)]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"a worker failed (rc {proc.returncode}): {err.decode()[-800:]}")
    study = optuna.load_study(study_name="bench", storage=open_storage(storage))
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    start = min(t.datetime_start for t in done)
    end = max(t.datetime_complete for t in done)
    window = (end - start).total_seconds()
    durations = [(t.datetime_complete - t.datetime_start).total_seconds() for t in done]
    timings = [t.user_attrs.get("timings", {}) for t in done]
    render = [x.get("render_s", 0.0) + x.get("generation_s", 0.0) for x in timings]
    scored = [x.get("train_s", 0.0) + x.get("eval_s", 0.0) for x in timings]
    storage_s = [d - r - s for d, r, s in zip(durations, render, scored)]
    per_hour = len(done) * 3600 / window
    return WorkersRow(kind, workers, len(done), window, per_hour, workers * 3600 / seconds, float("nan"),
                      _mean(durations), _mean(render), _mean(storage_s), sum(durations) / (workers * window))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def run_workers_benchmark(counts: Sequence[int], storages: Sequence[str], seconds: float, trials_per_worker: int,
                          log: Callable[[str], None] = print) -> list[WorkersRow]:
    rows: list[WorkersRow] = []
    for kind in storages:
        for n in counts:
            with tempfile.TemporaryDirectory(prefix="autosynthda-bench-workers-") as scratch:
                if kind == "postgresql":
                    try:
                        with throwaway_postgres() as server:
                            row = run_once(server.create_database("bench"), kind, n, n * trials_per_worker, seconds,
                                           Path(scratch))
                    except PostgresUnavailable as exc:
                        log(f"postgresql skipped: {exc}")
                        break
                else:
                    url = f"journal:///{Path(scratch) / 'bench.journal'}"
                    row = run_once(url, kind, n, n * trials_per_worker, seconds, Path(scratch))
            base = next((r for r in rows if r.storage == kind and r.workers == 1), row)
            row = WorkersRow(**{**row.__dict__, "efficiency": row.trials_per_hour / (n * base.trials_per_hour)})
            rows.append(row)
            log(f"{kind:<10} {n} worker(s): {row.trials} trials in {row.window_s:.1f}s = {row.trials_per_hour:.0f}/h "
                f"(ideal {row.ideal_per_hour:.0f}/h, efficiency {row.efficiency:.2f})")
    return rows


def bottleneck(rows: Sequence[WorkersRow]) -> list[str]:
    """Name what grows with the worker count: the per-trial CPU work (rendering, linking) or the storage round trips."""
    lines = []
    for kind in dict.fromkeys(r.storage for r in rows):
        mine = sorted((r for r in rows if r.storage == kind), key=lambda r: r.workers)
        if len(mine) < 2:
            continue
        low, high = mine[0], mine[-1]
        render_growth, storage_growth = high.mean_render_s - low.mean_render_s, high.mean_storage_s - low.mean_storage_s
        cause = (f"the CPU work each trial does (blending, rendering, linking real clips): {os.cpu_count()} cores "
                 f"shared by {high.workers} workers" if render_growth >= storage_growth else "the storage round trips")
        lines.append(
            f"- **Bottleneck ({kind}): {cause}.** From {low.workers} to {high.workers} workers the render time per "
            f"trial went {low.mean_render_s:.2f} -> {high.mean_render_s:.2f} s and the storage+driver time "
            f"{low.mean_storage_s:.2f} -> {high.mean_storage_s:.2f} s; efficiency {high.efficiency:.2f} at "
            f"{high.workers} workers."
        )
    if lines:
        lines.append("- With TAO each worker trains on its own GPU for minutes to hours per trial, so these per-trial "
                     "seconds of driver and storage work vanish in comparison; on a real cluster render on the "
                     "worker's GPU (`--gpu`).")
    return lines


def write_table(rows: Sequence[WorkersRow], out: Path, *, seconds: float, trials_per_worker: int) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Workers: trials/hour on one study",
        "",
        f"`autosynthda bench workers`: the stand-in scorer sleeps {seconds:g} s per trial (TAO's training time, "
        f"without a GPU), {trials_per_worker} trials per worker, real `autosynthda worker` processes after one "
        "`autosynthda setup`, each worker with `--threads` = cores / workers (at least 1), MLflow tracking off. "
        f"Machine: {os.cpu_count()} cores ({cpu}), Python "
        f"{platform.python_version()}, optuna {optuna.__version__}. Each trial still blends and renders its synthetic "
        "clips (64 px) and links the real ones on the CPU.",
        "",
        "| storage | workers | trials | window s | trials/h | ideal/h | scaling efficiency | trial s | "
        "render s | storage+driver s | busy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r.storage} | {r.workers} | {r.trials} | {r.window_s:.1f} | {r.trials_per_hour:.0f} | "
                     f"{r.ideal_per_hour:.0f} | {r.efficiency:.2f} | {r.mean_trial_s:.2f} | {r.mean_render_s:.2f} | "
                     f"{r.mean_storage_s:.2f} | {r.busy:.2f} |")
    lines += ["", *bottleneck(rows)]
    lines += ["", "Columns: window = first trial start to last trial end; ideal = workers x 3600 / sleep; scaling "
              "efficiency = trials/h over workers x the 1-worker trials/h; trial s = mean trial duration (sleep "
              "included); render s = blending + rendering + linking per trial; storage+driver s = the rest of the "
              "trial (Optuna ask/tell, user attrs, heartbeats, result files); busy = share of the window the workers "
              "spent inside trials.", ""]
    text = "\n".join(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text
