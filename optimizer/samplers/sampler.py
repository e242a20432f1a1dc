"""The finite-difference sampler: calculate_new_weight (legacy) or SPSA, with every bit of state in the storage.

Each trial's probe is chosen in before_trial by replaying the search on the study's finished trials and written to
the trial as a system attribute; sample_independent only reads it back. So a resumed process, or any number of
workers on one storage, continue the same trajectory. Two workers racing for one probe both write their claim and
read back: one that sees another live claim withdraws and picks again, so a probe is never evaluated twice (at worst
both withdraw and retry after a random pause). When every needed probe is in flight the trial waits for one to finish.
"""

from __future__ import annotations

import copy
import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, FloatDistribution
from optuna.exceptions import UpdateFinishedTrialError
from optuna.samplers import BaseSampler, RandomSampler
from optuna.storages._heartbeat import is_heartbeat_enabled
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from optimizer.samplers.legacy import LegacyStrategy
from optimizer.samplers.options import LegacyOptions, SpsaOptions
from optimizer.samplers.plan import Plan, Probe, Strategy
from optimizer.samplers.spsa import SpsaStrategy
from optimizer.trials import RATIO, WEIGHT, StudyAttr, SystemAttr, UserAttr, assigned_params, retried_from

PROBE_ATTR = SystemAttr.PROBE
CRN_SEED_ATTR = SystemAttr.CRN_SEED
STATE_ATTR = StudyAttr.SAMPLER_STATE
FINAL_KEY = "final"  # a trial asked for after the search finished re-evaluates the recommendation
DEFAULT_BOUNDS = {WEIGHT: (0.0, 1.0), RATIO: (0.0, 2.0)}
_LIVE = (TrialState.RUNNING, TrialState.WAITING)

_log = logging.getLogger(__name__)


@dataclass
class _View:
    """The study as the search sees it: losses by probe key and the live trials holding each key."""

    losses: dict[str, float] = field(default_factory=dict)
    live: dict[str, list[FrozenTrial]] = field(default_factory=lambda: defaultdict(list))

    def taken(self, key: str) -> bool:
        return key in self.losses or key in self.live


class FiniteDifferenceSampler(BaseSampler):
    """mode "legacy": SynthDa's calculate_new_weight on `weight` with the ratio fixed (LegacyOptions).
    mode "spsa": SPSA over the `bounds` box with common random numbers (SpsaOptions).

    Loss is 1 - value in a maximised study (an accuracy-like metric) and the value in a minimised one. Trials with
    fixed params (enqueued: the baseline, retries) get no probe; a retry of a probe trial inherits its probe and seed.
    Parameters outside the search, or asked for by a trial that has no probe, come from a seeded RandomSampler.
    reap(study), when given, is called while waiting, to fail trials of dead workers; stop_study=False keeps a
    study.optimize(n_trials=N) running after the search finished (those trials re-evaluate the recommendation).
    """

    def __init__(
        self,
        mode: str = "spsa",
        *,
        bounds: Mapping[str, tuple[float, float]] | None = None,
        legacy: LegacyOptions | None = None,
        spsa: SpsaOptions | None = None,
        weight_param: str = WEIGHT,
        ratio_param: str = RATIO,
        seed: int | None = None,
        poll_interval: float = 1.0,
        reap: Callable[[Study], object] | None = None,
        stop_study: bool = True,
    ) -> None:
        bounds = dict(bounds or {weight_param: DEFAULT_BOUNDS[WEIGHT], ratio_param: DEFAULT_BOUNDS[RATIO]})
        self.mode = mode
        self.strategy = _strategy(mode, bounds, legacy, spsa, weight_param, ratio_param, seed or 0)
        self.poll_interval = poll_interval
        self.reap = reap
        self.stop_study = stop_study
        self._fallback = RandomSampler(seed=seed)
        self._jitter = random.Random()  # only spaces out retried claims; never part of a result

    # --- the search, replayed from storage ---

    def plan(self, study: Study, *, finished: FrozenTrial | None = None) -> Plan:
        return self.strategy.plan(self._view(study, finished=finished).losses)

    def is_done(self, study: Study) -> Plan | None:
        plan = self.plan(study)
        return plan if plan.done else None

    def replay(self, trials: list[FrozenTrial], *, maximize: bool = True) -> Plan:
        """The plan given just these trials (the benchmark asks where the search stood after n trials)."""
        return self.strategy.plan(self._losses_and_claims(trials, maximize).losses)

    def _view(self, study: Study, *, exclude: int | None = None, finished: FrozenTrial | None = None) -> _View:
        trials = {t.number: t for t in study.get_trials(deepcopy=False) if t.number != exclude}
        if finished is not None:
            trials[finished.number] = finished  # after_trial runs before the storage records the result
        return self._losses_and_claims(list(trials.values()), study.direction == StudyDirection.MAXIMIZE)

    def _losses_and_claims(self, listed: list[FrozenTrial], maximize: bool) -> _View:
        trials = {t.number: t for t in listed}
        view = _View()
        for number in sorted(trials):
            trial = trials[number]
            key = self._key_of(trial, trials)
            if key is None:
                continue
            if trial.state in (TrialState.COMPLETE, TrialState.PRUNED) and trial.value is not None:
                # The first answer wins, so a late duplicate can never rewrite a trajectory already followed.
                view.losses.setdefault(key, 1.0 - trial.value if maximize else trial.value)
            elif trial.state in _LIVE:
                view.live[key].append(trial)
        return view

    def _key_of(self, trial: FrozenTrial, trials: Mapping[int, FrozenTrial]) -> str | None:
        probe = _probe_of(trial, trials)
        if probe is not None:
            return None if probe["key"] == FINAL_KEY else str(probe["key"])
        params = assigned_params(trial)
        return self.strategy.key_for_params(params)

    # --- Optuna's sampler interface ---

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if study._is_multi_objective():
            return
        attrs = trial.system_attrs
        if attrs.get(PROBE_ATTR):
            return  # a heartbeat retry carries its probe in the copied system attrs
        if SystemAttr.FIXED_PARAMS in attrs:
            self._inherit(study, trial)
            return
        announced = False
        while True:
            view = self._view(study, exclude=trial.number)
            plan = self.strategy.plan(view.losses)
            if plan.done:
                self._write(study, trial, Probe(FINAL_KEY, plan.recommendation))
                self._publish(study, plan)
                self._stop(study)
                return
            free = [p for p in plan.needed if not view.taken(p.key)]
            if not free:
                free = self._take_over_queued(study, plan, view, trial.number)
            if not free:
                if not announced:
                    held = sorted(t.number for p in plan.needed for t in view.live.get(p.key, []))
                    _log.info(f"trial {trial.number} waits: every probe the search needs is in flight ({held})")
                    announced = True
                self._reap(study)
                time.sleep(self.poll_interval)
                continue
            probe = free[0]
            self._write(study, trial, probe)
            if not self._contested(study, trial.number, probe.key):
                return
            self._write(study, trial, None)
            time.sleep(self._jitter.uniform(0.0, self.poll_interval))

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, param_distribution: BaseDistribution
    ) -> Any:
        probe = trial.system_attrs.get(PROBE_ATTR)  # read from storage: it was written after the trial was cached
        if probe and param_name in probe["point"] and isinstance(param_distribution, FloatDistribution):
            return _fit(float(probe["point"][param_name]), param_distribution)
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: list[float] | None
    ) -> None:
        if study._is_multi_objective():
            return
        finished = copy.copy(trial)
        finished.state = state
        finished.values = values if state in (TrialState.COMPLETE, TrialState.PRUNED) else None
        plan = self.plan(study, finished=finished)
        self._publish(study, plan)
        if plan.done:
            self._stop(study)

    def reseed_rng(self) -> None:
        self._fallback.reseed_rng()

    # --- storage writes ---

    def _write(self, study: Study, trial: FrozenTrial, probe: Probe | None) -> None:
        storage = study._storage
        storage.set_trial_system_attr(trial._trial_id, PROBE_ATTR, None if probe is None else probe.to_attr())
        storage.set_trial_system_attr(trial._trial_id, CRN_SEED_ATTR, None if probe is None else probe.seed)

    def _contested(self, study: Study, number: int, key: str) -> bool:
        """After writing a claim: does any other trial hold, or has any answered, the same probe?"""
        view = self._view(study, exclude=number)
        return view.taken(key)

    def _inherit(self, study: Study, trial: FrozenTrial) -> None:
        trials = {t.number: t for t in study.get_trials(deepcopy=False)}
        probe = _probe_of(trial, trials)
        if probe is not None:
            study._storage.set_trial_system_attr(trial._trial_id, PROBE_ATTR, probe)
            study._storage.set_trial_system_attr(trial._trial_id, CRN_SEED_ATTR, probe.get("seed"))

    def _take_over_queued(self, study: Study, plan: Plan, view: _View, number: int) -> list[Probe]:
        """A needed probe held only by queued retries that nobody runs (every worker is waiting here): cancel the
        queued trial (popping it first, so no worker can start it meanwhile) and evaluate the probe in this one."""
        for probe in plan.needed:
            holders = view.live.get(probe.key, [])
            if not holders or any(t.state != TrialState.WAITING or not _is_retry(t) for t in holders):
                continue
            if all(_cancel_queued(study, t, number) for t in holders):
                return [probe]
        return []

    def _reap(self, study: Study) -> None:
        if self.reap is not None:
            self.reap(study)
        elif is_heartbeat_enabled(study._storage):
            optuna.storages.fail_stale_trials(study)

    def _publish(self, study: Study, plan: Plan) -> None:
        state = {
            "mode": self.mode,
            "iteration": plan.iteration,
            "recommendation": plan.recommendation,
            "done": plan.done,
            "reason": plan.reason,
        }
        study._storage.set_study_user_attr(study._study_id, STATE_ATTR, state)

    def _stop(self, study: Study) -> None:
        if not self.stop_study:
            return
        try:
            study.stop()
        except RuntimeError:
            pass  # outside study.optimize (ask/tell): the caller checks sampler_done()


def _strategy(
    mode: str,
    bounds: dict[str, tuple[float, float]],
    legacy: LegacyOptions | None,
    spsa: SpsaOptions | None,
    weight_param: str,
    ratio_param: str,
    seed: int,
) -> Strategy:
    if weight_param not in bounds:
        raise ValueError(f"bounds has no range for {weight_param!r}")
    if mode == "legacy":
        options = legacy or LegacyOptions()
        fixed = {}
        if ratio_param in bounds:
            low, high = bounds[ratio_param]
            fixed[ratio_param] = options.ratio if options.ratio is not None else (low + high) / 2
        return LegacyStrategy(options, param=weight_param, bounds=bounds[weight_param], fixed=fixed)
    if mode == "spsa":
        options = spsa or SpsaOptions()
        one_dim = options.ratio is not None or ratio_param not in bounds
        searched = (weight_param,) if one_dim else (weight_param, ratio_param)
        fixed = {ratio_param: options.ratio} if options.ratio is not None else {}
        start = None
        if options.start is not None:  # raw (weight, ratio); the search runs in [0, 1] per range
            raw = dict(zip((weight_param, ratio_param), options.start))
            start = tuple(_unit(raw[name], bounds[name]) for name in searched)
        return SpsaStrategy(options, bounds=bounds, searched=searched, fixed=fixed, seed=seed, start=start)
    raise ValueError(f"unknown finite-difference mode {mode!r} (known: legacy, spsa)")


def _unit(value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return (value - low) / (high - low) if high > low else 0.0


def _is_retry(trial: FrozenTrial) -> bool:
    return retried_from(trial) is not None


def _probe_of(trial: FrozenTrial, trials: Mapping[int, FrozenTrial], depth: int = 0) -> dict[str, Any] | None:
    probe = trial.system_attrs.get(PROBE_ATTR)
    if probe:
        return probe
    origin = retried_from(trial)
    if origin is None or origin == trial.number or origin not in trials or depth > 16:
        return None
    return _probe_of(trials[origin], trials, depth + 1)


def _cancel_queued(study: Study, trial: FrozenTrial, by: int) -> bool:
    storage = study._storage
    try:
        if not storage.set_trial_state_values(trial._trial_id, state=TrialState.RUNNING):
            return False  # a worker popped it: it is running now and still holds the probe
    except UpdateFinishedTrialError:
        return False
    storage.set_trial_user_attr(trial._trial_id, UserAttr.FAIL_REASON, f"superseded by trial {by}")
    storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
    return True


def _fit(value: float, distribution: FloatDistribution) -> float:
    low, high = distribution.low, distribution.high
    value = min(max(value, low), high)
    if distribution.step is not None:
        value = low + round((value - low) / distribution.step) * distribution.step
        value = min(max(value, low), high)
    return float(value)
