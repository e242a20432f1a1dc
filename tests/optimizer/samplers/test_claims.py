"""When every probe the search needs is in flight a new trial waits; a probe whose worker died is taken over."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from optimizer.samplers import PROBE_ATTR, FiniteDifferenceSampler, SpsaOptions
from testing.storages import STORAGE_MODES, open_any

optuna.logging.set_verbosity(optuna.logging.WARNING)
# These tests drive study.ask/tell by hand, as a worker's sampler does; RDB storages' heartbeats warn about that.
pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used:UserWarning")


def ask(study):
    trial = study.ask()
    trial.suggest_float("weight", 0, 1)
    trial.suggest_float("ratio", 0, 2)
    return trial


def probe(study, trial):
    return study._storage.get_trial_system_attrs(trial._trial_id)[PROBE_ATTR]


@pytest.mark.parametrize("storage", STORAGE_MODES, indirect=True)
def test_a_dead_workers_probe_is_taken_over_not_lost_or_duplicated(storage):
    reaped = []

    def reap(study):
        # what optimizer.study.recovery does for a worker that died on this host: fail it, queue it again
        if not reaped:
            study.tell(a.number, state=TrialState.FAIL)
            study.enqueue_trial(dict(a.params), user_attrs={"retry_of": a.number})
            reaped.append(a.number)

    sampler = FiniteDifferenceSampler("spsa", spsa=SpsaOptions(init=0), seed=0, poll_interval=0.01, reap=reap)
    study = optuna.create_study(storage=open_any(storage), direction="maximize", sampler=sampler)
    a, b = ask(study), ask(study)
    assert [probe(study, a)["key"], probe(study, b)["key"]] == ["spsa:0:0:+", "spsa:0:0:-"]

    # a's worker is gone and b is still running: the next trial waits, reaps a, and takes over its queued retry
    c = ask(study)
    assert reaped == [a.number]
    assert probe(study, c) == probe(study, a)  # the same probe, point and common seed
    retry = [t for t in study.trials if t.user_attrs.get("retry_of") == a.number][0]
    assert retry.state == TrialState.FAIL and retry.user_attrs["fail_reason"] == f"superseded by trial {c.number}"
    live = [t for t in study.trials if t.state == TrialState.RUNNING]
    assert sorted(probe(study, t)["key"] for t in live) == ["spsa:0:0:+", "spsa:0:0:-"]


@pytest.mark.parametrize("storage", STORAGE_MODES, indirect=True)
def test_a_queued_retry_keeps_its_probe_and_seed(storage):
    sampler = FiniteDifferenceSampler("spsa", spsa=SpsaOptions(init=0), seed=0)
    study = optuna.create_study(storage=open_any(storage), direction="maximize", sampler=sampler)
    a = ask(study)
    study.tell(a.number, state=TrialState.FAIL)
    study.enqueue_trial(dict(a.params), user_attrs={"retry_of": a.number})
    retry = ask(study)  # pops the queued retry: fixed params, so no new probe, but it inherits a's
    assert retry.params == a.params and probe(study, retry) == probe(study, a)
    assert study._storage.get_trial_system_attrs(retry._trial_id)["crn_seed"] == probe(study, a)["seed"]
    assert probe(study, ask(study))["key"] == "spsa:0:0:-"
