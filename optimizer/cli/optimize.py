"""`autosynthda optimize` and `autosynthda status`: run a study (resuming it) and show its trials."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import optuna
import typer
from rich.console import Console

from optimizer.cli.app import app
from optimizer.config import ConfigError, load_config
from optimizer.scoring.tao import RUNTIMES
from optimizer.study import StudyPaths, format_table, make_scorer, open_storage, prepare_study, run_study, trials_table


@app.command("optimize")
def optimize(
    study_file: Path = typer.Argument(..., help="Study config, e.g. studies/fall.yaml."),
    target_class: str | None = typer.Option(None, "--class", help="Rare class to augment (overrides target_class)."),
    trials: int | None = typer.Option(None, "--trials", help="Finished trials to reach (overrides search.trials)."),
    storage: str | None = typer.Option(
        None, "--storage", help="Optuna storage URL (default SQLite in studies/<name>/)."
    ),
    device: str = typer.Option("auto", "--device", help="auto (cuda if available), cpu, cuda, cuda:N."),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state goes."),
    runtime: str | None = typer.Option(
        None, "--runtime", help="TAO studies: docker, apptainer or local (overrides scorer.tao.runtime)."
    ),
) -> None:
    """Run (or resume) a study until it has --trials finished trials, then print the table and the best (w, r)."""
    if trials is not None and trials < 1:
        raise ConfigError(f"--trials: must be >= 1, got {trials}")
    overrides: dict[str, object] = {"search.trials": trials}
    if runtime is not None:
        if runtime not in RUNTIMES:
            raise ConfigError(f"--runtime: must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
        if (kind := load_config(study_file).scorer.kind) != "tao":
            raise ConfigError(f"--runtime: only for TAO studies (scorer.kind tao); {study_file} uses {kind!r}")
        overrides["scorer.tao.runtime"] = runtime
    config = load_config(study_file, target_class=target_class, **overrides)
    if target_class is not None and target_class != load_config(study_file).target_class:
        config = config.model_copy(update={"name": f"{config.name}_{target_class}"})  # its own study, own state
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    console = Console(soft_wrap=True)  # log lines stay whole in files and CI logs
    say = partial(console.print, markup=False, highlight=False)  # paths and [w=.. r=..] are text, not markup
    paths = StudyPaths.for_study(config.name, studies_dir)
    say(
        f"study {config.name}: target class {config.target_class!r}, {config.search.trials} trials, "
        f"sampler {config.search.sampler}, metric {config.metric} -> {paths.root}"
    )
    scorer = make_scorer(config, device)  # before any rendering: a missing Docker daemon or image fails at once
    prepared = prepare_study(config, paths=paths, storage=storage, device=device, log=say)
    summary = run_study(prepared, scorer, config.search.trials, console)
    say(format_table(trials_table(prepared.study)))
    if summary.driver_overhead_s:
        mean = sum(summary.driver_overhead_s) / len(summary.driver_overhead_s)
        say(f"driver overhead per trial (wall - generation - render - train - eval): mean {mean:.2f}s")
    best = prepared.study.best_trial
    say(
        f"best: trial {best.number}, weight {best.params['weight']:.3f}, ratio {best.params['ratio']:.2f}, "
        f"{config.metric} {best.value:.3f}"
    )


@app.command("status")
def status(
    study: str = typer.Argument(..., help="A study config (studies/fall.yaml) or a study name (fall)."),
    storage: str | None = typer.Option(
        None, "--storage", help="Optuna storage URL (default SQLite in studies/<name>/)."
    ),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state is."),
) -> None:
    """Print the trials of a study: params, metrics, per-stage timings; the best trial is marked *."""
    name = load_config(study).name if study.endswith((".yaml", ".yml")) else study
    paths = StudyPaths.for_study(name, studies_dir)
    url = storage or paths.default_storage
    if storage is None and not (paths.root / "study.db").is_file():
        raise ConfigError(f"{paths.root}: study: no study here yet (run `autosynthda optimize` first)")
    try:
        loaded = optuna.load_study(study_name=name, storage=open_storage(url))
    except KeyError:
        raise ConfigError(f"{url}: study: no study named {name!r}") from None
    typer.echo(format_table(trials_table(loaded)))
