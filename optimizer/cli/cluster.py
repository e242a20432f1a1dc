"""`autosynthda setup` once, then `autosynthda worker` as many times as there are GPUs, on one or many machines.

Optuna is the distributed engine: workers share the storage and need no coordinator. setup creates what every
worker reads (storage, study, MLflow experiment and parent run, pair bank, real renders) so workers never race to
create them on a fresh database.
"""

from __future__ import annotations

import os
import shlex
import socket
import zlib
from pathlib import Path

import typer

from optimizer.cli.checks import check_device, check_gpu
from optimizer.cli.common import make_console, quiet_optuna, storage_option, study_config
from optimizer.errors import ConfigError
from optimizer.study.paths import StudyPaths
from optimizer.study.storage_checks import sqlite_path
from optimizer.urls import journal_path, public_url


def setup(
    study_file: Path = typer.Argument(..., help="Study config, e.g. studies/fall_tao.yaml."),
    target_class: str | None = typer.Option(None, "--class", help="Rare class to augment (overrides target_class)."),
    storage: str | None = storage_option(),
    device: str = typer.Option("auto", "--device", help="Where the real clips are rendered: auto, cpu, cuda:N."),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state goes (shared)."),
    tracking: bool | None = typer.Option(None, "--tracking/--no-tracking", help="MLflow review (default: on)."),
) -> None:
    """Create the study's storage, study, MLflow experiment, pair bank and real renders once (re-running is a no-op)."""
    check_device(device)
    from optimizer.study import finished_trials, prepare_study

    config = study_config(study_file, target_class=target_class, tracking=tracking)
    quiet_optuna()
    _, say = make_console()
    paths = StudyPaths.for_study(config.name, studies_dir)
    prepared = prepare_study(config, paths=paths, storage=storage, device=device, log=say)
    url = public_url(storage or paths.default_storage)
    # Every option that names the study or its state: a worker without them would build another study elsewhere.
    command = ["autosynthda", "worker", str(study_file), "--storage", url]
    command += ["--class", target_class] if target_class is not None else []
    command += ["--studies-dir", str(studies_dir)] if studies_dir is not None else []
    command += ["--no-tracking"] if tracking is False else []
    say(f"study {config.name} is set up in {url} ({finished_trials(prepared.study)}/{config.search.trials} trials "
        f"finished); start workers with: {shlex.join(command)}")


def worker(
    study_file: Path = typer.Argument(..., help="The study config given to `autosynthda setup`."),
    target_class: str | None = typer.Option(None, "--class", help="As given to setup (names the study)."),
    storage: str | None = storage_option(),
    gpu: int | None = typer.Option(None, "--gpu", help="The GPU this worker owns (renders and trains there)."),
    trials: int | None = typer.Option(None, "--trials", help="The study's budget (overrides search.trials)."),
    seed: int | None = typer.Option(None, "--seed", help="Sampler seed of this worker (default: from its pid)."),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state is (shared)."),
    runtime: str | None = typer.Option(None, "--runtime", help="TAO studies: docker, apptainer or local."),
    tracking: bool | None = typer.Option(None, "--tracking/--no-tracking", help="MLflow review (default: on)."),
    threads: int | None = typer.Option(
        None, "--threads", help="torch CPU threads (default: all cores); with N workers on one machine: cores / N."
    ),
) -> None:
    """Run trials of a set-up study until its budget of finished trials is reached, alongside any other workers."""
    check_gpu(gpu)
    import torch

    from optimizer.scoring import make_scorer
    from optimizer.study import finished_trials, prepare_study, run_study

    config = study_config(study_file, target_class=target_class, trials=trials, runtime=runtime, tracking=tracking,
                          gpu=gpu)
    if threads is not None:
        if threads < 1:
            raise ConfigError(f"--threads: must be >= 1, got {threads}")
        torch.set_num_threads(threads)  # several workers on one CPU each with all cores' threads thrash
    quiet_optuna()
    console, say = make_console()
    device = "auto" if gpu is None else f"cuda:{gpu}"
    # Each worker its own seed: identical TPE/GP/random draws in every worker would duplicate trials. Containers
    # all run as a small pid, so the host name (unique per container and node) goes in too.
    if seed is None:
        seed = config.search.seed + 1 + zlib.crc32(f"{socket.gethostname()}:{os.getpid()}".encode()) % 1_000_000
    paths = StudyPaths.for_study(config.name, studies_dir)
    _require_stored(paths, storage, config.name)
    scorer = make_scorer(config.scorer, study=config.name, device=device)
    prepared = prepare_study(config, paths=paths, storage=storage, device=device, log=lambda _: None, join_only=True,
                             sampler_seed=seed)
    say(f"worker {socket.gethostname()}:{os.getpid()} on study {config.name} (device {device}, sampler seed {seed})")
    summary = run_study(prepared, scorer, config.search.trials, console, final_selection=False)
    done = finished_trials(prepared.study)
    say(f"worker done: ran {len(summary.ran)} trial(s) {summary.ran}; study has {done}/{config.search.trials}")


def _require_stored(paths: StudyPaths, storage: str | None, name: str) -> None:
    """A worker joins a set-up study and never creates one: opening a missing SQLite file or journal would."""
    url = storage or paths.default_storage
    file = sqlite_path(url) or journal_path(url)
    if file is not None and not file.is_file():
        hint = "run `autosynthda setup` with the same config and --storage first"
        raise ConfigError(f"--storage: {public_url(url)} has no study {name!r}; {hint}")
