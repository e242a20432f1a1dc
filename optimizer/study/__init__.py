"""A study: setup once, trials that resume after crashes, and the table of results."""

from optimizer.study.objective import STAGES, TrialObjective, generation_seed
from optimizer.study.recovery import requeue_dead_trials, worker_identity
from optimizer.study.runner import RunSummary, StudyFailed, finished_trials, run_study
from optimizer.study.setup import PreparedStudy, make_scorer, open_storage, prepare_study, render_settings
from optimizer.study.status import format_table, trials_table
from optimizer.study.workspace import StudyPaths, discover_real_clips

__all__ = [
    "STAGES",
    "PreparedStudy",
    "RunSummary",
    "StudyFailed",
    "StudyPaths",
    "TrialObjective",
    "discover_real_clips",
    "finished_trials",
    "format_table",
    "generation_seed",
    "make_scorer",
    "open_storage",
    "prepare_study",
    "render_settings",
    "requeue_dead_trials",
    "run_study",
    "trials_table",
    "worker_identity",
]
