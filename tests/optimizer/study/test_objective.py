"""The trial objective on a real prepared study (16 px renders, the stand-in scorer): what a trial killed at an
awkward moment leaves for its retry, and the reason every failure is recorded with."""

from __future__ import annotations

import os

import optuna
import pytest
from optuna.trial import TrialState

from optimizer.config import StudyConfig
from optimizer.scoring.standin import StandInScorer
from optimizer.study import StudyPaths, prepare_study
from optimizer.study.objective import TrialObjective, trial_generation_seed
from optimizer.trials import UserAttr

TINY = {
    "name": "objective",
    "target_class": "fall",
    "data": {"real": os.path.abspath("generation/samples/data"), "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 16, "real_views": "front", "synthetic_views": "front"},
    "search": {"trials": 3, "seed": 0, "sampler": "random"},
    "scorer": {"kind": "standin", "standin_seconds": 0, "seed": 11},
    "tracking": {"enabled": False},
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    config = StudyConfig.model_validate(TINY)
    paths = StudyPaths.for_study("objective", tmp_path_factory.mktemp("objective"))
    prepared = prepare_study(config, paths=paths, device="cpu", log=lambda _: None)
    assert run_one(prepared).user_attrs[UserAttr.BASELINE]  # every study starts with its enqueued baseline
    return prepared


def run_one(prepared, **objective) -> optuna.trial.FrozenTrial:
    study = prepared.study
    study.optimize(TrialObjective(prepared, StandInScorer(0), **objective), n_trials=1, catch=(Exception,))
    return study.trials[-1]


def test_a_retry_of_a_trial_killed_between_its_two_seed_writes_runs_with_both_seeds(prepared):
    # the dead trial wrote its generation seed and was killed before its scorer seed; its retry inherits only the first
    prepared.study.enqueue_trial({"weight": 0.4, "ratio": 1.0},
                                 user_attrs={UserAttr.GENERATION_SEED: 12345, UserAttr.RETRY_OF: 0})
    retry = run_one(prepared)
    assert retry.state == TrialState.COMPLETE, retry.user_attrs.get(UserAttr.FAIL_REASON)
    assert retry.user_attrs[UserAttr.GENERATION_SEED] == 12345  # the dead trial's clips, not the retry's number
    assert retry.user_attrs[UserAttr.SCORER_SEED] == 11


def test_a_fresh_trial_writes_both_seeds(prepared):
    trial = run_one(prepared)
    assert trial.state == TrialState.COMPLETE
    assert trial.user_attrs[UserAttr.GENERATION_SEED] == trial_generation_seed(0, trial.number)
    assert trial.user_attrs[UserAttr.SCORER_SEED] == 11


class BrokenHooks:
    def trial_started(self, trial, params):
        raise RuntimeError("the review server went away")

    def dataset_ready(self, trial_dir, manifest):
        pass


def test_a_failure_before_the_dataset_is_recorded_with_its_reason(prepared):
    trial = run_one(prepared, hooks=BrokenHooks())
    assert trial.state == TrialState.FAIL
    assert trial.user_attrs[UserAttr.FAIL_REASON] == "RuntimeError: the review server went away"
