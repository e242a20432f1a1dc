"""A study: setup once, trials that resume after crashes, and the table of results.

Names are imported from their modules when first used: `autosynthda status` needs the table, not torch."""

from generation.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    "StudyPaths": "optimizer.study.paths", "discover_real_clips": "optimizer.study.workspace",
    "existing_storage": "optimizer.study.storage", "open_storage": "optimizer.study.storage",
    "format_table": "optimizer.study.status", "trials_table": "optimizer.study.status",
    "TrialObjective": "optimizer.study.objective", "trial_generation_seed": "optimizer.study.objective",
    "requeue_dead_trials": "optimizer.study.recovery", "worker_identity": "optimizer.study.recovery",
    "RunSummary": "optimizer.study.runner", "StudyFailed": "optimizer.study.runner",
    "finished_trials": "optimizer.study.runner", "run_study": "optimizer.study.runner",
    "PreparedStudy": "optimizer.study.setup", "prepare_study": "optimizer.study.setup",
    "study_sampler": "optimizer.study.setup",
})

__all__ = [
    "PreparedStudy", "RunSummary", "StudyFailed", "StudyPaths", "TrialObjective", "discover_real_clips",
    "existing_storage", "finished_trials", "format_table", "open_storage", "prepare_study", "requeue_dead_trials",
    "run_study", "study_sampler", "trial_generation_seed", "trials_table", "worker_identity",
]  # fmt: skip
