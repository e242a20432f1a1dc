"""`autosynthda export`: the best (or a chosen) trial's augmented dataset, ready for production training."""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.cli.checks import check_device, check_out_dir
from optimizer.cli.common import make_console, quiet_optuna, storage_option, study_config
from optimizer.study.paths import StudyPaths


def export(
    study_file: Path = typer.Argument(..., help="The study's config, e.g. studies/fall.yaml."),
    out: Path = typer.Option(..., "--out", help="New folder for the dataset (train/ val/ test/, README.md)."),
    trial: int | None = typer.Option(None, "--trial", help="Trial number (default: the best completed trial)."),
    target_class: str | None = typer.Option(None, "--class", help="As given to optimize (names the study)."),
    storage: str | None = storage_option(),
    studies_dir: Path | None = typer.Option(None, "--studies-dir", help="Where studies/<name>/ state is."),
    device: str = typer.Option("auto", "--device", help="Where the clips are rendered: auto, cpu, cuda:N."),
) -> None:
    """Write a trial's training set (real + its synthetic clips) and the real val/test splits in TAO's layout."""
    check_device(device)
    check_out_dir(out)  # a file, or a place under a file, fails before the study is loaded
    from optimizer.study import existing_storage, prepare_study
    from optimizer.study.export import export_trial, pick_trial
    from optimizer.trials import RATIO, WEIGHT

    config = study_config(study_file, target_class=target_class, tracking=False)
    paths = StudyPaths.for_study(config.name, studies_dir)
    existing_storage(paths, storage)
    quiet_optuna()
    _, say = make_console()
    prepared = prepare_study(config, paths=paths, storage=storage, device=device, log=lambda _: None, join_only=True)
    chosen = pick_trial(prepared.study, trial)
    manifest, report = export_trial(prepared, chosen, out)
    say(f"exported trial {chosen.number} (w={chosen.params[WEIGHT]:.3f}, r={chosen.params[RATIO]:.2f}, "
        f"{config.metric} {chosen.value:.3f}) to {out}: {manifest.count('train')} train "
        f"({manifest.count('train', kind='synthetic')} synthetic), {manifest.count('val')} val, "
        f"{manifest.count('test')} test videos; see {out / 'README.md'}")
