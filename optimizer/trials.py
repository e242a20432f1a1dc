"""The trial schema: every parameter name and attribute key that trials and studies carry, in one place, and a
typed reader of a finished trial (TrialRecord) that status, tracking, export, selection and recovery share.

A key renamed here is renamed everywhere; tests/optimizer/test_trials.py fails on a bare key literal elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from optuna.trial import FrozenTrial, TrialState

# Parameters every trial suggests.
WEIGHT: Final = "weight"
RATIO: Final = "ratio"


class UserAttr:
    """Trial user attrs written by the driver."""

    WORKER: Final = "worker"  # {"host", "pid"} of the process running the trial
    HEARTBEAT: Final = "heartbeat"  # time.time() stamps of journal-file workers
    GENERATION_SEED: Final = "generation_seed"
    SCORER_SEED: Final = "scorer_seed"
    BASELINE: Final = "baseline"  # the ratio-0 trial every study starts with
    RETRY_OF: Final = "retry_of"  # the number of the dead trial this one retries
    MLFLOW_RUN: Final = "mlflow_run_id"
    FAIL_REASON: Final = "fail_reason"
    LOG_TAIL: Final = "log_tail"
    METRICS: Final = "metrics"
    PER_CLASS_RECALL: Final = "per_class_recall"
    SYNTHETIC_CLIPS: Final = "synthetic_clips"
    TIMINGS: Final = "timings"
    TRIAL_DIR: Final = "trial_dir"


class SystemAttr:
    """Trial system attrs: Optuna's own and the finite-difference sampler's."""

    FIXED_PARAMS: Final = "fixed_params"  # Optuna: the params a trial was enqueued with
    FAILED_TRIAL: Final = "failed_trial"  # Optuna's RetryHeartbeatStaleTrialCallback: the trial retried
    PROBE: Final = "fd:probe"  # the probe a trial evaluates ({"key", "point", "seed"})
    CRN_SEED: Final = "crn_seed"  # the seed the objective generates and trains with


class StudyAttr:
    """Study user attrs."""

    CONFIG: Final = "config"
    SETUP_COMPLETE: Final = "setup_complete"  # the pair bank and real renders exist: workers may start
    FINAL_SELECTION: Final = "final_selection"
    SAMPLER_STATE: Final = "fd_sampler"  # mode, iteration, recommendation, done, reason (for people, not state)
    MLFLOW_PARENT_RUN: Final = "mlflow_parent_run_id"
    MLFLOW_EXPERIMENT: Final = "mlflow_experiment_id"


# Carried to a retry: the baseline mark, the seeds its clips and training used (same params, same clips) and the
# MLflow run, so the new run links to the old one.
INHERITED_ATTRS: Final = (UserAttr.BASELINE, UserAttr.GENERATION_SEED, UserAttr.SCORER_SEED, UserAttr.MLFLOW_RUN)
# A trial's folder (studies/<name>/trials/<n>/) keeps, after its frames are dropped: manifest.json, result.json,
# the scorer's files and these previews of its clips.
PREVIEWS_DIR: Final = "previews"
# Stage timings a trial records, in the order they run.
STAGES: Final = ("generation_s", "render_s", "train_s", "eval_s", "overhead_s")


def retried_from(trial: FrozenTrial) -> int | None:
    """The trial this one retries: re-queued by a worker (user attr) or by Optuna's heartbeat callback."""
    if UserAttr.RETRY_OF in trial.user_attrs:
        return int(trial.user_attrs[UserAttr.RETRY_OF])
    failed = trial.system_attrs.get(SystemAttr.FAILED_TRIAL)
    return None if failed is None else int(failed)


def assigned_params(trial: FrozenTrial) -> dict[str, object]:
    """The params the trial was given: the ones it was enqueued with, overlaid by those it suggested. A retry killed
    between its suggests still carries its whole enqueued point; a trial killed before it had either was never given a
    point, and is not retried."""
    return {**(trial.system_attrs.get(SystemAttr.FIXED_PARAMS) or {}), **trial.params}


@dataclass(frozen=True)
class TrialRecord:
    """What a trial was given and what it produced, read once from a FrozenTrial."""

    number: int
    state: TrialState
    value: float | None
    weight: float | None
    ratio: float | None
    metrics: dict[str, float] = field(default_factory=dict)
    per_class_recall: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    synthetic_clips: int | None = None
    fail_reason: str = ""
    log_tail: str = ""
    retry_of: int | None = None
    baseline: bool = False
    generation_seed: int | None = None
    scorer_seed: int | None = None
    mlflow_run_id: str | None = None
    worker: dict[str, Any] = field(default_factory=dict)
    heartbeat: float | None = None
    trial_dir: str | None = None
    datetime_start: datetime | None = None
    datetime_complete: datetime | None = None

    @classmethod
    def from_frozen(cls, trial: FrozenTrial) -> TrialRecord:
        attrs, params = trial.user_attrs, assigned_params(trial)

        def number(key: str) -> int | None:
            return None if attrs.get(key) is None else int(attrs[key])

        return cls(
            number=trial.number,
            state=trial.state,
            value=trial.value,
            weight=params.get(WEIGHT),
            ratio=params.get(RATIO),
            metrics=dict(attrs.get(UserAttr.METRICS) or {}),
            per_class_recall=dict(attrs.get(UserAttr.PER_CLASS_RECALL) or {}),
            timings=dict(attrs.get(UserAttr.TIMINGS) or {}),
            synthetic_clips=number(UserAttr.SYNTHETIC_CLIPS),
            fail_reason=str(attrs.get(UserAttr.FAIL_REASON) or ""),
            log_tail=str(attrs.get(UserAttr.LOG_TAIL) or ""),
            retry_of=retried_from(trial),
            baseline=bool(attrs.get(UserAttr.BASELINE)),
            generation_seed=number(UserAttr.GENERATION_SEED),
            scorer_seed=number(UserAttr.SCORER_SEED),
            mlflow_run_id=attrs.get(UserAttr.MLFLOW_RUN),
            worker=dict(attrs.get(UserAttr.WORKER) or {}),
            heartbeat=None if attrs.get(UserAttr.HEARTBEAT) is None else float(attrs[UserAttr.HEARTBEAT]),
            trial_dir=attrs.get(UserAttr.TRIAL_DIR),
            datetime_start=trial.datetime_start,
            datetime_complete=trial.datetime_complete,
        )

    @property
    def duration_s(self) -> float | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return (self.datetime_complete - self.datetime_start).total_seconds()

    @property
    def has_point(self) -> bool:
        return self.weight is not None and self.ratio is not None
