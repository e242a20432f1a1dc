"""`autosynthda optimize` and `autosynthda status`: run a study (resuming it) and show its trials."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from optimizer.cli.checks import check_device
from optimizer.cli.common import make_console, quiet_optuna, storage_option, study_config
from optimizer.cli.errors import Interrupted
from optimizer.errors import ConfigError
from optimizer.study.paths import StudyPaths

if TYPE_CHECKING:
    import optuna


def optimize(
    study_file: Path = typer.Argument(..., help="Study config, e.g. studies/fall.yaml."),
    target_class: str | None = typer.Option(None, "--class", help="Rare class to augment (overrides target_class)."),
    trials: int | None = typer.Option(None, "--trials", help="Finished trials to reach (overrides search.trials)."),
    storage: str | None = storage_option(),
    device: str = typer.Option("auto", "--device", help="auto (cuda if available), cpu, cuda, cuda:N."),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state goes."),
    runtime: str | None = typer.Option(
        None, "--runtime", help="TAO studies: docker, apptainer or local (overrides scorer.tao.runtime)."
    ),
    tracking: bool | None = typer.Option(None, "--tracking/--no-tracking", help="MLflow review (default: on)."),
) -> None:
    """Run (or resume) a study until it has --trials finished trials, then print the table and the best (w, r)."""
    check_device(device)
    from optimizer.scoring import make_scorer
    from optimizer.study import format_table, prepare_study, run_study, trials_table
    from optimizer.trials import RATIO, WEIGHT

    config = study_config(study_file, target_class=target_class, trials=trials, runtime=runtime, tracking=tracking)
    quiet_optuna()
    console, say = make_console()
    paths = StudyPaths.for_study(config.name, studies_dir)
    say(
        f"study {config.name}: target class {config.target_class!r}, {config.search.trials} trials, "
        f"sampler {config.search.sampler}, metric {config.metric} -> {paths.root}"
    )
    # The scorer first, before any rendering: a missing Docker daemon or image fails at once.
    scorer = make_scorer(config.scorer, study=config.name, device=device)
    prepared = prepare_study(config, paths=paths, storage=storage, device=device, log=say)
    try:
        summary = run_study(prepared, scorer, config.search.trials, console)
    except KeyboardInterrupt:
        say(format_table(trials_table(prepared.study)))
        raise Interrupted(f"{config.name}: interrupted; finished trials are kept, the same command resumes") from None
    say(format_table(trials_table(prepared.study)))
    if summary.driver_overhead_s:
        mean = sum(summary.driver_overhead_s) / len(summary.driver_overhead_s)
        say(f"driver overhead per trial (wall - generation - render - train - eval): mean {mean:.2f}s")
    best = prepared.study.best_trial
    say(
        f"best: trial {best.number}, weight {best.params[WEIGHT]:.3f}, ratio {best.params[RATIO]:.2f}, "
        f"{config.metric} {best.value:.3f}"
    )
    if prepared.tracker is not None:
        where = prepared.tracker.public_uri
        say(f"review: MLflow experiment {config.name!r} in {where} (`make dashboard STUDY={config.name}` to browse)")


def status(
    study: str = typer.Argument(..., help="A study config (studies/fall.yaml) or a study name (fall)."),
    storage: str | None = storage_option(),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state is."),
) -> None:
    """Print the trials of a study: params, metrics, per-stage timings; the best trial is marked *."""
    from optimizer.study.journal_repair import journal_note
    from optimizer.study.status import format_table, trials_table
    from optimizer.urls import journal_path

    loaded = load_existing_study(study, storage, studies_dir)
    if storage is not None and (path := journal_path(storage)) is not None and (note := journal_note(path)):
        typer.echo(note)  # torn (cut at the next write) or repaired; a damaged one was refused above
    typer.echo(format_table(trials_table(loaded)))


def load_existing_study(study: str, storage: str | None, studies_dir: Path | None) -> optuna.Study:
    """A study by config path or name, from --storage or its default SQLite file; a clear error when absent."""
    import optuna

    from optimizer.config import load_config
    from optimizer.study.storage import existing_storage, open_storage
    from optimizer.urls import public_url

    name = load_config(study).name if study.endswith((".yaml", ".yml")) else study
    paths = StudyPaths.for_study(name, studies_dir)
    url = existing_storage(paths, storage)
    try:
        return optuna.load_study(study_name=name, storage=open_storage(url, repair=False))  # reading never writes
    except KeyError:
        raise ConfigError(f"{public_url(url)}: study: no study named {name!r}") from None
