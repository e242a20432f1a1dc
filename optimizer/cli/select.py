"""`autosynthda select`: re-evaluate a study's best (weight, ratio) with fresh seeds; mean and 95% CI."""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.cli.checks import check_device
from optimizer.cli.common import make_console, quiet_optuna, storage_option, study_config
from optimizer.errors import ConfigError
from optimizer.study.paths import StudyPaths


def select(
    study_file: Path = typer.Argument(..., help="Study config, e.g. studies/fall.yaml."),
    top: int = typer.Option(3, "--top", help="How many of the best (weight, ratio) to re-evaluate."),
    seeds: int = typer.Option(3, "--seeds", help="Fresh seeds per candidate (>= 2, for the interval)."),
    target_class: str | None = typer.Option(None, "--class", help="As given to optimize (names the study)."),
    storage: str | None = storage_option(),
    device: str = typer.Option("auto", "--device", help="auto (cuda if available), cpu, cuda, cuda:N."),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state is."),
) -> None:
    """Score the best --top points again with --seeds seeds no trial used, and the reference arms `none` (no
    augmentation) and `synthda` (SynthDa's choice) with the same seeds; the best mean is chosen, and each candidate is
    compared with each reference on paired differences. Stored in the study (an interrupted run resumes) and shown
    by `autosynthda status`."""
    from optuna.trial import TrialState

    from optimizer.scoring import make_scorer
    from optimizer.study import existing_storage, prepare_study
    from optimizer.study.selection import format_selection, run_selection, study_evaluator, study_references

    check_device(device)
    if top < 1:
        raise ConfigError(f"--top: must be >= 1, got {top}")
    if seeds < 2:
        raise ConfigError(f"--seeds: must be >= 2 for a confidence interval, got {seeds}")
    config = study_config(study_file, target_class=target_class)
    paths = StudyPaths.for_study(config.name, studies_dir)
    existing_storage(paths, storage)
    quiet_optuna()
    _, say = make_console()
    prepared = prepare_study(config, paths=paths, storage=storage, device=device, log=say)
    if not prepared.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        raise ConfigError(f"{paths.root}: study: no completed trial to select from")
    evaluate = study_evaluator(prepared, make_scorer(config.scorer, study=config.name, device=device))
    summary = run_selection(prepared.study, evaluate, top=top, seeds=seeds, metric=config.metric,
                            references=study_references(prepared), log=say)
    if prepared.tracker is not None:  # the parent run gets the table and the forest plot
        prepared.tracker.refresh_study(prepared.study)
    say(format_selection(summary))
