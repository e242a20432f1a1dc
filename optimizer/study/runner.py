"""Run a study until it has the asked number of finished trials, resuming whatever a previous run left."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial

import optuna
from optuna.trial import TrialState
from rich.console import Console
from rich.status import Status

from generation.errors import AutoSynthDaError
from optimizer.samplers import sampler_done
from optimizer.scoring import Scorer
from optimizer.study.objective import STAGES, TrialObjective
from optimizer.study.recovery import requeue_dead_trials
from optimizer.study.selection import run_selection, study_evaluator
from optimizer.study.setup import PreparedStudy

MAX_CONSECUTIVE_FAILURES = 3
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class StudyFailed(AutoSynthDaError, RuntimeError):
    """Trials keep failing: something is wrong with the setup, not with one (weight, ratio)."""


@dataclass
class RunSummary:
    ran: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    driver_overhead_s: list[float] = field(default_factory=list)


def finished_trials(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def run_study(prepared: PreparedStudy, scorer: Scorer, n_trials: int, console: Console | None = None) -> RunSummary:
    console = console or Console()
    study = prepared.study
    summary = RunSummary(requeued=requeue_dead_trials(study))
    if summary.requeued:
        console.print(f"re-queued trials left running by a dead process: {summary.requeued}", markup=False)
    failures = 0
    while (done := finished_trials(study)) < n_trials:
        if (stopped := sampler_done(study)) is not None:  # a finite-difference search that has converged
            console.print(f"sampler finished after {done} trials: {stopped.reason}", markup=False)
            break
        label = f"trial {done + 1}/{n_trials}"
        status = console.status(label)
        objective = TrialObjective(prepared, scorer, stage=partial(_show_stage, status, label))
        started = time.perf_counter()
        with status:
            study.optimize(objective, n_trials=1, catch=(Exception,))
        wall = time.perf_counter() - started
        trial = study.get_trials(deepcopy=False)[objective.last_number]  # trials are listed by number
        summary.ran.append(trial.number)
        failures = failures + 1 if trial.state == TrialState.FAIL else 0
        console.print(_trial_line(trial, prepared.config.metric, wall, summary), markup=False, highlight=False)
        if failures >= MAX_CONSECUTIVE_FAILURES:
            reason = trial.user_attrs.get("fail_reason", "see the log above")
            raise StudyFailed(f"{prepared.config.name}: {failures} trials in a row failed; last: {reason}")
    final = prepared.config.search.final_selection
    if final is not None:  # off by default: it costs top x seeds more trainings; the trials table shows the result
        say = partial(console.print, markup=False, highlight=False)
        evaluate = study_evaluator(prepared, scorer)
        run_selection(study, evaluate, top=final.top, seeds=final.seeds, metric=prepared.config.metric, log=say)
    return summary


def _show_stage(status: Status, label: str, stage: str) -> None:
    status.update(f"{label}: {stage}")


def _trial_line(trial: optuna.trial.FrozenTrial, metric: str, wall: float, summary: RunSummary) -> str:
    params = f"w={trial.params.get('weight', float('nan')):.3f} r={trial.params.get('ratio', float('nan')):.2f}"
    head = f"trial {trial.number} [{params}] {trial.state.name.lower()}"
    if trial.state == TrialState.FAIL:
        return f"{head}: {trial.user_attrs.get('fail_reason', '')}"
    timings = trial.user_attrs.get("timings", {})
    staged = sum(timings.get(k, 0.0) for k in STAGES if k != "overhead_s")
    overhead = max(0.0, wall - staged)
    summary.driver_overhead_s.append(overhead)
    parts = " · ".join(f"{k.removesuffix('_s')} {timings[k]:.1f}s" for k in STAGES if k in timings)
    value = "" if trial.value is None else f" → {metric} {trial.value:.3f}"
    return f"{head}: {parts} · driver {overhead:.2f}s{value}"
