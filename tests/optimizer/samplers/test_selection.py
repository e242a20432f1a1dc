"""Final selection: the best few (weight, ratio) re-evaluated with fresh seeds, mean and t-interval, resumable, shown
by `autosynthda status`."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest
from scipy import stats
from typer.testing import CliRunner

from optimizer.cli.app import app
from optimizer.config import ConfigError
from optimizer.samplers import FiniteDifferenceSampler
from optimizer.study import StudyPaths, format_table, trials_table
from optimizer.study.selection import FRESH_SEED_BASE, SELECTION_ATTR, candidates, run_selection, t_interval

optuna.logging.set_verbosity(optuna.logging.WARNING)
DIST = {"weight": optuna.distributions.FloatDistribution(0, 1), "ratio": optuna.distributions.FloatDistribution(0, 2)}


def study_with(points, storage=None, name="sel", sampler=None):
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize", sampler=sampler)
    for (w, r), value in points.items():
        study.add_trial(optuna.trial.create_trial(params={"weight": w, "ratio": r}, distributions=DIST, value=value))
    return study


def noisy(w, r, seed):
    return 0.8 - (w - 0.4) ** 2 + 0.01 * float(np.random.default_rng(seed).standard_normal())


def test_t_interval_matches_scipy():
    values = [0.71, 0.74, 0.69, 0.77]
    mean, low, high = t_interval(values)
    ref = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values)) and (low, high) == pytest.approx(ref)
    assert math.isnan(t_interval([0.5])[1])


def test_best_points_are_re_evaluated_with_fresh_seeds_and_the_best_mean_wins():
    # trial values are noisy: the best single trial (0.9 at w=0.9) is a lucky draw
    study = study_with({(0.9, 1.0): 0.90, (0.4, 1.0): 0.85, (0.1, 1.0): 0.80, (0.0, 0.0): 0.5})
    calls = []

    def evaluate(w, r, seed):
        calls.append((w, r, seed))
        return noisy(w, r, seed)

    summary = run_selection(study, evaluate, top=3, seeds=3, metric="mean_class_accuracy", log=lambda s: None)
    assert [(c["weight"], c["source"]) for c in summary["candidates"]] == [(0.9, "trial 0"), (0.4, "trial 1"), (0.1, "trial 2")]
    assert {seed for _, _, seed in calls} == {FRESH_SEED_BASE, FRESH_SEED_BASE + 1, FRESH_SEED_BASE + 2}
    assert len(calls) == 9
    chosen = summary["candidates"][summary["chosen"]]
    assert chosen["weight"] == 0.4 and chosen["ci95"][0] < chosen["mean"] < chosen["ci95"][1]
    assert study.user_attrs[SELECTION_ATTR] == summary

    # a second run (an interrupted one resumed) reuses every stored value
    calls.clear()
    again = run_selection(study, evaluate, top=3, seeds=3, metric="mean_class_accuracy", log=lambda s: None)
    assert calls == [] and again == summary


def test_a_finite_difference_recommendation_is_a_candidate():
    sampler = FiniteDifferenceSampler("spsa", seed=0)
    study = study_with({}, sampler=sampler)
    study.optimize(lambda t: noisy(t.suggest_float("weight", 0, 1), t.suggest_float("ratio", 0, 2), 0), n_trials=6)
    first = candidates(study, 2)[0]
    rec = sampler.plan(study).recommendation
    assert first.source == "spsa recommendation"
    assert (first.weight, first.ratio) == (round(rec["weight"], 3), round(rec["ratio"], 3))


def test_status_shows_the_selection_and_the_sampler(tmp_path):
    paths = StudyPaths.for_study("sel", tmp_path)
    paths.root.mkdir(parents=True)
    study = study_with({(0.3, 1.0): 0.8, (0.6, 1.5): 0.7}, storage=paths.default_storage)
    study.set_user_attr("fd_sampler", {"mode": "legacy", "iteration": 3, "recommendation": {"weight": 0.3, "ratio": 1.0},
                                       "done": True, "reason": "converged: |delta loss| 0.0004 < tol 0.001"})
    run_selection(study, noisy, top=2, seeds=2, metric="mean_class_accuracy", log=lambda s: None)
    text = format_table(trials_table(study))
    assert "final selection (mean_class_accuracy, 2 fresh seeds each, mean [95% CI]):" in text
    assert "legacy sampler: finished (converged" in text
    done = CliRunner().invoke(app, ["status", "sel", "--studies-dir", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "final selection" in done.output and " * w=0.300 r=1.00" in done.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seeds", "1"], "--seeds: must be >= 2 for a confidence interval, got 1"),
        (["--top", "0"], "--top: must be >= 1, got 0"),
        ([], "no study here yet (run `autosynthda optimize` first)"),
    ],
)
def test_select_command_errors(tmp_path, args, message):
    done = CliRunner().invoke(app, ["select", "studies/fall.yaml", "--studies-dir", str(tmp_path), *args])
    assert isinstance(done.exception, ConfigError) and message in str(done.exception)
