"""What several commands share: reading the study config with command-line overrides, the storage option."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optimizer.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from optimizer.config import StudyConfig

STORAGE_ENV = "AUTOSYNTHDA_STORAGE"
STORAGE_HELP = (
    "Optuna storage: sqlite:///FILE, postgresql://USER@HOST/DB or journal:///FILE "
    f"(default: ${STORAGE_ENV}, else SQLite in studies/<name>/)."
)


def storage_option() -> str | None:
    return typer.Option(None, "--storage", envvar=STORAGE_ENV, help=STORAGE_HELP, show_envvar=False)


def study_config(
    study_file: Path,
    *,
    target_class: str | None = None,
    trials: int | None = None,
    runtime: str | None = None,
    tracking: bool | None = None,
    gpu: int | None = None,
) -> StudyConfig:
    """The config with the command line's overrides. --class X makes its own study, <name>_X, with its own state."""
    from optimizer.config import load_config
    from optimizer.scoring.tao.config import RUNTIMES

    if trials is not None and trials < 1:
        raise ConfigError(f"--trials: must be >= 1, got {trials}")
    if gpu is not None and gpu < 0:
        raise ConfigError(f"--gpu: must be a GPU id >= 0, got {gpu}")
    base = load_config(study_file)
    overrides: dict[str, object] = {"search.trials": trials, "tracking.enabled": tracking}
    if runtime is not None:
        if runtime not in RUNTIMES:
            raise ConfigError(f"--runtime: must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
        if base.scorer.kind != "tao":
            kind = base.scorer.kind
            raise ConfigError(f"--runtime: only for TAO studies (scorer.kind tao); {study_file} uses {kind!r}")
        overrides["scorer.tao.runtime"] = runtime
    if gpu is not None and base.scorer.kind == "tao":
        overrides["scorer.tao.gpus"] = [gpu]  # TAO's container sees this GPU only
    config = load_config(study_file, target_class=target_class, **overrides)
    if target_class is not None and target_class != base.target_class:
        config = config.model_copy(update={"name": f"{config.name}_{target_class}"})
    return config


def quiet_optuna() -> None:
    import optuna

    from optimizer.cli.errors import DropInterruptedTrialLog

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # also creates Optuna's handler, which the filter goes on
    for handler in logging.getLogger("optuna").handlers:
        if not any(isinstance(f, DropInterruptedTrialLog) for f in handler.filters):
            handler.addFilter(DropInterruptedTrialLog())


def make_console() -> tuple[Console, partial]:
    """A console whose lines stay whole in files and CI logs, and a `say` that prints text, not markup."""
    from rich.console import Console

    console = Console(soft_wrap=True)
    return console, partial(console.print, markup=False, highlight=False)
