"""The pruner: none by default (Optuna's own default, a median pruner, stopped noisy demo trials after one epoch)."""

from __future__ import annotations

import optuna
import pytest

from optimizer.config import SearchConfig
from optimizer.samplers import make_pruner


def pruned_trials(pruner: optuna.pruners.BasePruner) -> list[int]:
    study = optuna.create_study(direction="maximize", pruner=pruner)
    pruned = []
    for number in range(8):
        trial = study.ask()
        value = 0.9 if number < 5 else 0.1  # the later trials' curves are far below the earlier ones
        for epoch in range(10):
            trial.report(value, epoch)
            if trial.should_prune():
                pruned.append(number)
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, value)
    return pruned


def test_the_default_never_prunes():
    assert SearchConfig().pruner == "none"
    assert pruned_trials(make_pruner("none")) == []


def test_median_prunes_bad_curves_after_warm_up():
    assert pruned_trials(make_pruner("median")) == [5, 6, 7]


def test_successive_halving_and_hyperband_stop_only_bad_curves():
    assert pruned_trials(make_pruner("successive_halving")) == [5, 6, 7]
    pruned = pruned_trials(make_pruner("hyperband"))  # each bracket halves its own trials: some bad ones get past
    assert pruned and set(pruned) <= {5, 6, 7}
    assert SearchConfig(pruner="hyperband").pruner == "hyperband"


def test_unknown_pruner_is_rejected():
    with pytest.raises(ValueError, match="pruner"):
        SearchConfig(pruner="asha")
