"""Recovery corner cases a random kill only sometimes hits: a trial killed before its objective named its worker,
a retry killed before its first suggest, a reaper killed between failing a trial and re-queueing it, and a journal
trial of a worker on another host, known dead only by its stale heartbeat."""

from __future__ import annotations

import time

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from optimizer.study import recovery
from optimizer.trials import UserAttr
from testing.storages import STORAGE_MODES, open_any

# Trials are asked and told by hand here, as a killed worker leaves them; RDB storages' heartbeats warn about that.
pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used:UserWarning")


def new_study(storage) -> optuna.Study:
    return optuna.create_study(storage=open_any(storage), direction="maximize")


@pytest.mark.parametrize("storage", STORAGE_MODES, indirect=True)
def test_a_nameless_running_trial_is_failed_once_it_is_old(storage, monkeypatch):
    study = new_study(storage)
    study.ask()  # RUNNING, no worker attr: killed between ask and the objective
    assert recovery.requeue_dead_trials(study) == []  # still young: a live worker may be sampling
    monkeypatch.setattr(recovery, "NAMELESS_AFTER_S", 0.0)
    assert recovery.requeue_dead_trials(study) == []  # never given a point: failed, nothing to retry
    trial = study.trials[0]
    assert trial.state == TrialState.FAIL and trial.user_attrs["fail_reason"] == recovery.DIED


@pytest.mark.parametrize("storage", STORAGE_MODES, indirect=True)
def test_a_retry_killed_before_its_first_suggest_keeps_its_params(storage):
    study = new_study(storage)
    study.enqueue_trial({"weight": 0.3, "ratio": 1.2}, user_attrs={"retry_of": 7})
    trial = study.ask()  # pops the enqueued retry; its worker is killed before suggesting anything
    assert trial.params == {}
    assert recovery.assigned_params(study.trials[0]) == {"weight": 0.3, "ratio": 1.2}


@pytest.mark.parametrize("storage", STORAGE_MODES, indirect=True)
def test_a_retry_killed_between_its_suggests_keeps_its_whole_point(storage):
    study = new_study(storage)
    study.enqueue_trial({"weight": 0.3, "ratio": 1.2}, user_attrs={"retry_of": 7})
    trial = study.ask()
    trial.suggest_float("weight", 0, 1)  # killed here, before suggesting the ratio
    assert study.trials[0].params == {"weight": 0.3}
    assert recovery.assigned_params(study.trials[0]) == {"weight": 0.3, "ratio": 1.2}


@pytest.mark.parametrize("storage", STORAGE_MODES, indirect=True)
def test_an_orphan_is_requeued_once_by_a_later_reaper(storage, monkeypatch):
    study = new_study(storage)
    trial = study.ask({"weight": FloatDistribution(0, 1), "ratio": FloatDistribution(0, 2)})
    trial.set_user_attr("fail_reason", recovery.DIED)  # the reaper's first step...
    study.tell(trial, state=TrialState.FAIL)  # ...its atomic FAIL, then it is killed before enqueueing
    ready, young = recovery.orphans(study.trials)
    assert ready == [] and [t.number for t in young] == [0]  # the reaper may still be enqueueing
    monkeypatch.setattr(recovery, "ORPHAN_AFTER_S", 0.0)
    assert recovery.requeue_dead_trials(study) == [0]
    assert recovery.requeue_dead_trials(study) == []  # once
    retry = study.trials[1]
    assert retry.state == TrialState.WAITING and retry.user_attrs["retry_of"] == 0
    assert retry.system_attrs["fixed_params"] == study.trials[0].params


# Journal only: it has no heartbeats of its own, so workers write one as a user attribute (RDB storages use Optuna's).
@pytest.mark.parametrize("storage", ["journal"], indirect=True)
def test_a_journal_trial_of_another_host_is_reaped_once_its_heartbeat_is_stale(storage):
    study = new_study(storage)
    space = {"weight": FloatDistribution(0, 1), "ratio": FloatDistribution(0, 2)}
    fresh, stale = study.ask(space), study.ask(space)
    for trial, age in ((fresh, 5.0), (stale, recovery.GRACE_PERIOD_S + 5.0)):
        trial.set_user_attr(UserAttr.WORKER, {"host": "another-host", "pid": 1})
        trial.set_user_attr(UserAttr.HEARTBEAT, time.time() - age)
    assert recovery.reap(study) == [stale.number]
    states = {t.number: t.state for t in study.trials}
    assert states[fresh.number] == TrialState.RUNNING and states[stale.number] == TrialState.FAIL
    retry = study.trials[-1]
    assert retry.state == TrialState.WAITING and retry.user_attrs["retry_of"] == stale.number


def test_a_finite_difference_worker_waiting_for_probes_reaps_as_the_runner_does():
    from optimizer.config import StudyConfig
    from optimizer.study import study_sampler

    assert study_sampler(StudyConfig(name="s", target_class="fall")).reap is recovery.reap
