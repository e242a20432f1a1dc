"""`autosynthda bench cli`: how long `autosynthda --help` and `autosynthda status STUDY` take and how much memory
they peak at, over several runs each (the command line should answer at once: Optuna's own CLI takes ~0.3 s)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import optuna

from optimizer.trials import RATIO, WEIGHT, UserAttr


@dataclass(frozen=True)
class CliRow:
    command: str
    runs: int
    median_s: float
    max_s: float
    peak_mib: float  # the largest peak RSS over the runs


def _run(argv: Sequence[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.read().decode()[-400:]}")
    proc.stderr.close()
    return wall, usage.ru_maxrss / 1024  # Linux reports KiB


def _demo_study(studies: Path, trials: int = 8) -> None:
    """A finished study in the default SQLite place, as `optimize` leaves it (params, metrics, timings)."""
    root = studies / "cli"
    root.mkdir(parents=True)
    study = optuna.create_study(study_name="cli", storage=f"sqlite:///{root / 'study.db'}", direction="maximize")
    dist = {WEIGHT: optuna.distributions.FloatDistribution(0, 1), RATIO: optuna.distributions.FloatDistribution(0, 2)}
    for i in range(trials):
        attrs = {UserAttr.METRICS: {"accuracy": 0.5 + i / 50, "mean_class_accuracy": 0.5 + i / 40},
                 UserAttr.TIMINGS: {"generation_s": 0.1, "render_s": 1.0, "train_s": 20.0, "eval_s": 1.0},
                 UserAttr.SYNTHETIC_CLIPS: i}
        study.add_trial(optuna.trial.create_trial(params={WEIGHT: i / trials, RATIO: i / 4}, distributions=dist,
                                                  value=0.5 + i / 40, user_attrs=attrs))


def run_cli_benchmark(runs: int = 5, log: Callable[[str], None] = print) -> list[CliRow]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="autosynthda-bench-cli-") as scratch:
        studies = Path(scratch)
        _demo_study(studies)
        cli = [sys.executable, "-m", "optimizer.cli"]
        for name, argv in (("autosynthda --help", [*cli, "--help"]),
                           ("autosynthda status STUDY", [*cli, "status", "cli", "--studies-dir", str(studies)])):
            _run(argv)  # warm the file cache: every later run is a user's second call
            samples = [_run(argv) for _ in range(runs)]
            walls = [w for w, _ in samples]
            row = CliRow(name, runs, statistics.median(walls), max(walls), max(m for _, m in samples))
            log(f"{name}: median {row.median_s:.3f} s, max {row.max_s:.3f} s, peak {row.peak_mib:.0f} MiB")
            rows.append(row)
    return rows


def write_table(rows: Sequence[CliRow], out: Path) -> str:
    lines = [
        "# Command-line start-up",
        "",
        f"`autosynthda bench cli`: each command run {rows[0].runs} times after one warm-up run, as a child process "
        f"(wall time from spawn to exit; peak resident memory from wait4). Machine: {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}. `status` reads an "
        "8-trial SQLite study. Goal: under 0.5 s and 150 MiB each.",
        "",
        "| command | runs | median s | max s | peak MiB |",
        "|---|---:|---:|---:|---:|",
        *(f"| `{r.command}` | {r.runs} | {r.median_s:.3f} | {r.max_s:.3f} | {r.peak_mib:.0f} |" for r in rows),
        "",
    ]
    text = "\n".join(lines)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text
