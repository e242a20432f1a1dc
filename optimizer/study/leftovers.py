"""What processes killed hard left in a study's folder, removed by the next command that writes there.

Partial entries (a trial's dataset, the real renders or the pair bank being written when the writer died) are
removed when their owner process is dead (generation.partials). A trial's frames are heavy and dropped once the trial
is scored; a trial killed after its dataset was complete keeps them only for its retry, which takes them over, so the
frames of a finished trial that no retry still waits for are dropped too (unless keep_trial_data).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.trial import TrialState

from generation.partials import sweep_partials
from optimizer.study.paths import StudyPaths
from optimizer.trials import retried_from

FRAME_SPLITS = ("train", "val", "test")
_DONE = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def clean_leftovers(
    study: optuna.Study, paths: StudyPaths, *, keep_trial_data: bool, log: Callable[[str], None] = print
) -> list[Path]:
    """Remove dead writers' partial entries under the study folder and finished trials' frames; what was removed."""
    removed = sweep_partials(paths.root)
    if not keep_trial_data:
        removed += _drop_finished_frames(study, paths)
    if removed:
        shown = ", ".join(str(p.relative_to(paths.root)) for p in removed[:3])
        more = f" and {len(removed) - 3} more" if len(removed) > 3 else ""
        log(f"removed {len(removed)} leftover(s) of killed processes in {paths.root}: {shown}{more}")
    return removed


def _drop_finished_frames(study: optuna.Study, paths: StudyPaths) -> list[Path]:
    if not paths.trials.is_dir():
        return []
    trials = study.get_trials(deepcopy=False)
    by_number = {t.number: t for t in trials}
    awaited = {retried_from(t) for t in trials if t.state in (TrialState.WAITING, TrialState.RUNNING)}
    removed = []
    for folder in sorted(paths.trials.iterdir()):
        if not (folder.is_dir() and folder.name.isdigit()):
            continue
        trial = by_number.get(int(folder.name))
        if trial is None or trial.state not in _DONE or trial.number in awaited:
            continue
        for split in FRAME_SPLITS:
            if (folder / split).is_dir():
                shutil.rmtree(folder / split, ignore_errors=True)
                removed.append(folder / split)
    return removed
