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
from optimizer.scoring.tao.orphans import reap_orphans
from optimizer.study.objective import TrialObjective
from optimizer.study.recovery import orphans, reap
from optimizer.study.selection import run_selection, study_evaluator, study_references
from optimizer.study.setup import PreparedStudy
from optimizer.trials import STAGES, TrialRecord, UserAttr

MAX_CONSECUTIVE_FAILURES = 3
POLL_S = 2.0  # how often a worker with nothing to start looks again
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


@dataclass(frozen=True)
class _Counts:
    finished: int
    running: int
    waiting: int
    retries_due: int  # re-queued trials of dead workers (waiting) and orphans about to be: run even past the budget


def _counts(study: optuna.Study) -> _Counts:
    trials = study.get_trials(deepcopy=False)
    states = [t.state for t in trials]
    finished = sum(s in FINISHED for s in states)
    waiting_retries = sum(t.state == TrialState.WAITING and UserAttr.RETRY_OF in t.user_attrs for t in trials)
    retries_due = waiting_retries + len(orphans(trials)[1])
    return _Counts(finished, states.count(TrialState.RUNNING), states.count(TrialState.WAITING), retries_due)


def run_study(
    prepared: PreparedStudy,
    scorer: Scorer,
    n_trials: int,
    console: Console | None = None,
    *,
    final_selection: bool = True,
    poll_s: float = POLL_S,
) -> RunSummary:
    """Run trials until the study has n_trials finished ones (COMPLETE or PRUNED), whoever ran them.

    Any number of processes may run this on one study (they are the workers). A worker starts a trial only while
    finished + in-flight trials are below the budget, so the study ends at its budget instead of overshooting by the
    number of workers (what MaxTrialsCallback alone would do); if a worker in flight dies, its re-queued trial is
    picked up by whoever polls next.
    """
    console = console or Console()
    study, tracker = prepared.study, prepared.tracker
    summary = RunSummary()
    failures = 0
    waiting_said = False
    while True:
        if requeued := reap(study):
            reap_orphans(prepared.paths.trials)  # a dead driver's TAO (local/apptainer) must not train beside its retry
            summary.requeued.extend(requeued)
            console.print(f"re-queued trials left running by a dead worker: {requeued}", markup=False)
        counts = _counts(study)
        if counts.finished >= n_trials and not counts.retries_due:
            break
        if counts.finished >= n_trials and not counts.waiting:  # an orphaned retry will be re-queued in seconds
            time.sleep(poll_s)
            continue
        if (stopped := sampler_done(study)) is not None:  # a finite-difference search that has converged
            console.print(f"sampler finished after {counts.finished} trials: {stopped.reason}", markup=False)
            break
        if counts.finished + counts.running >= n_trials and not counts.waiting:
            if not waiting_said:
                console.print(f"waiting for {counts.running} trial(s) in flight elsewhere", markup=False)
                waiting_said = True
            time.sleep(poll_s)
            continue
        waiting_said = False
        label = f"trial {counts.finished + 1}/{n_trials}"
        status = console.status(label)
        objective = TrialObjective(prepared, scorer, stage=partial(_show_stage, status, label), hooks=tracker)
        finished = _LastTrial()
        started = time.perf_counter()
        with status:
            study.optimize(objective, n_trials=1, catch=(Exception,),
                           callbacks=[finished, *([tracker] if tracker is not None else [])])
        wall = time.perf_counter() - started
        if finished.trial is None:
            continue
        trial = TrialRecord.from_frozen(finished.trial)
        summary.ran.append(trial.number)
        failures = failures + 1 if trial.state == TrialState.FAIL else 0
        console.print(_trial_line(trial, prepared.config.metric, wall, summary), markup=False, highlight=False)
        if failures >= MAX_CONSECUTIVE_FAILURES:
            reason = trial.fail_reason or "see the log above"
            raise StudyFailed(f"{prepared.config.name}: {failures} trials in a row failed; last: {reason}")
    final = prepared.config.search.final_selection
    if final_selection and final is not None:  # off by default: it costs top x seeds more trainings
        say = partial(console.print, markup=False, highlight=False)
        evaluate = study_evaluator(prepared, scorer)
        run_selection(study, evaluate, top=final.top, seeds=final.seeds, metric=prepared.config.metric,
                      references=study_references(prepared), log=say)
    if tracker is not None:
        tracker.refresh_study(study)
        if finished_trials(study) >= n_trials:
            tracker.finish_study()
    return summary


class _LastTrial:
    """An Optuna callback that keeps the trial it is handed: the one this worker just ran."""

    trial: optuna.trial.FrozenTrial | None = None

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.trial = trial


def _show_stage(status: Status, label: str, stage: str) -> None:
    status.update(f"{label}: {stage}")


def _trial_line(trial: TrialRecord, metric: str, wall: float, summary: RunSummary) -> str:
    weight, ratio = (float("nan") if v is None else v for v in (trial.weight, trial.ratio))
    params = f"w={weight:.3f} r={ratio:.2f}"
    head = f"trial {trial.number} [{params}] {trial.state.name.lower()}"
    if trial.state == TrialState.FAIL:
        return f"{head}: {trial.fail_reason}"
    timings = trial.timings
    staged = sum(timings.get(k, 0.0) for k in STAGES if k != "overhead_s")
    overhead = max(0.0, wall - staged)
    summary.driver_overhead_s.append(overhead)
    parts = " · ".join(f"{k.removesuffix('_s')} {timings[k]:.1f}s" for k in STAGES if k in timings)
    value = "" if trial.value is None else f" → {metric} {trial.value:.3f}"
    return f"{head}: {parts} · driver {overhead:.2f}s{value}"
