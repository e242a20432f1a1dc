"""legacy mode visits exactly the weights SynthDa's calculate_new_weight evaluates, in order, and stops where it stops.

The reference below is written from ../shared/reference/SYNTHDA.md ("calculate_new_weight, exact"), independently of
optimizer.samplers.legacy: L is evaluated lazily and cached by weight (rounded to 3 dp, the weight a trial trains on).
"""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from optimizer.samplers import FiniteDifferenceSampler, LegacyOptions, sampler_done

optuna.logging.set_verbosity(optuna.logging.WARNING)


def calculate_new_weight(loss, start=0.5, step=0.1, tol=1e-3, max_iter=20, carry="new_loss"):
    """Returns (weights evaluated in order, the final weight). Line by line the loop of Zyx8890/synthda
    colab/synthda_loop_noCV.ipynb (last version, commit 28f6ce2), cell "3f) prepare next round". carry="next_loss"
    is this project's former misreading (min of the neighbours carried after a midpoint jump), kept to prove the
    cases below tell the two apart."""
    cache, order = {}, []

    def L(w):
        w = round(w, 3)
        if w not in cache:
            order.append(w)
            cache[w] = loss(w)
        return cache[w]

    prev_w = start
    prev_loss = L(prev_w)
    for _ in range(max_iter):
        low = max(prev_w - step, 0)
        high = min(prev_w + step, 1)
        candidates = [(round(low, 3), L(low)), (round(prev_w, 3), prev_loss), (round(high, 3), L(high))]
        best = candidates[0]
        for candidate in candidates[1:]:
            if candidate[1] < best[1]:  # strictly less: the first of equal losses wins
                best = candidate
        next_w, next_loss = best
        if next_w == prev_w:
            next_w = round((low + high) / 2, 3)
            next_loss = min(L(low), L(high))  # the notebook only prints it
        new_loss = L(next_w)
        if abs(new_loss - prev_loss) < tol:
            return order, next_w
        prev_w, prev_loss = next_w, new_loss if carry == "new_loss" else next_loss  # "prepare next round"
        step /= 2
    return order, prev_w


def bumpy(seed):
    """A rough loss landscape: an independent uniform value per 3-dp weight."""
    return lambda w: float(np.random.default_rng([seed, int(round(w * 1000))]).random())


def table(values, default):
    """A loss table keyed by 3-dp weight; other weights take default(w)."""
    return lambda w: values.get(round(w, 3), default(w))


CASES = {
    # smooth descent towards 0.33: walks 0.5 -> 0.4 -> 0.35 -> ... with halving steps until the change is < tol
    "descent": (table({}, lambda w: (w - 0.33) ** 2), {}),
    # L(low) == L(high) < L(prev): the tie goes to low (0.4), never to high (0.6)
    "tie": (table({0.5: 0.5, 0.4: 0.3, 0.6: 0.3, 0.35: 0.32, 0.45: 0.31}, lambda w: 0.4), {}),
    # nothing improves: the midpoint rule gives prev_w back, L(prev_w) is cached, |delta| = 0 < tol: stop at once
    "midpoint stuck": (table({0.5: 0.2}, lambda w: 0.3), {}),
    # start at the top bound: high is clipped to 1.0, prev wins, the midpoint 0.975 is a new weight; the loop goes on
    # from it with prev_loss = L(0.975), as the notebook carries it
    "boundary 1": (table({0.9: 0.40, 1.0: 0.20, 0.95: 0.30, 0.975: 0.25, 0.925: 0.26}, lambda w: 0.5), {"start": 1.0}),
    "boundary 0": (table({0.1: 0.30, 0.0: 0.10, 0.2: 0.5, 0.05: 0.12, 0.025: 0.2}, lambda w: 0.6), {"start": 0.1}),
    # starts at and near the bounds, where a clipped neighbour makes the midpoint rule move the weight: there the
    # carried loss decides what is evaluated next (seeded bumpy landscapes on which the two carries part ways)
    **{f"start {s}": (bumpy(seed), {"start": s}) for s, seed in ((0.0, 0), (0.05, 1), (0.95, 0), (1.0, 0))},
    # losses keep improving by more than tol: max_iter stops it
    "max_iter": (lambda w: -abs(w - 0.5) if w < 0.5 else 1 + w, {"max_iter": 3}),
}


def run_sampler(loss, options, *, maximize=False, baseline=False):
    sampler = FiniteDifferenceSampler("legacy", legacy=LegacyOptions(**options), seed=0)
    study = optuna.create_study(direction="maximize" if maximize else "minimize", sampler=sampler)
    if baseline:
        study.enqueue_trial({"weight": 0.5, "ratio": 0.0}, user_attrs={"baseline": True})

    def objective(trial):
        w = trial.suggest_float("weight", 0.0, 1.0)
        r = trial.suggest_float("ratio", 0.0, 2.0)
        if trial.user_attrs.get("baseline"):
            return 0.5
        assert r == 1.0  # legacy holds the ratio at the middle of its range
        return 1.0 - loss(w) if maximize else loss(w)

    # the runner's loop: one trial at a time until the sampler says it is done
    for _ in range(100):
        if sampler_done(study):
            break
        study.optimize(objective, n_trials=1)
    return study


@pytest.mark.parametrize("case", list(CASES))
def test_legacy_visits_the_same_weights_in_the_same_order_and_stops_there(case):
    loss, options = CASES[case]
    expected, final = calculate_new_weight(loss, **options)
    study = run_sampler(loss, options)
    visited = [t.params["weight"] for t in study.trials]
    assert visited == expected
    done = sampler_done(study)
    assert done is not None and done.recommendation["weight"] == final
    assert done.reason.startswith("max_iter" if case == "max_iter" else "converged")
    study.optimize(lambda t: 0.0, n_trials=5)  # stop_study: a plain optimize after the end runs one trial and stops
    assert len(study.trials) == len(expected) + 1


def test_reference_cases_cover_tie_boundary_and_midpoint():
    # guard against the table drifting into cases that no longer exercise what they are named after
    assert calculate_new_weight(CASES["tie"][0])[0][:3] == [0.5, 0.4, 0.6] and 0.45 in calculate_new_weight(CASES["tie"][0])[0]
    assert calculate_new_weight(CASES["midpoint stuck"][0]) == ([0.5, 0.4, 0.6], 0.5)
    order, _ = calculate_new_weight(CASES["boundary 1"][0], start=1.0)
    assert order[:3] == [1.0, 0.9, 0.95] and 0.975 in order
    order, _ = calculate_new_weight(CASES["boundary 0"][0], start=0.1)
    assert order[:3] == [0.1, 0.0, 0.2] and 0.025 in order
    assert len(calculate_new_weight(CASES["max_iter"][0], max_iter=3)[0]) == 7
    for start in (0.0, 0.05, 0.95, 1.0):  # the notebook's carry and the former one evaluate different weights here
        loss, options = CASES[f"start {start}"]
        assert calculate_new_weight(loss, **options)[0] != calculate_new_weight(loss, **options, carry="next_loss")[0]


def test_maximised_metric_with_a_baseline_and_a_reused_weight():
    loss, _ = CASES["descent"]
    expected, _ = calculate_new_weight(loss)
    sampler = FiniteDifferenceSampler("legacy", seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.enqueue_trial({"weight": 0.5, "ratio": 0.0}, user_attrs={"baseline": True})
    # an earlier trial at one of the weights the search will need: it is reused, not trained again
    dist = {"weight": optuna.distributions.FloatDistribution(0, 1), "ratio": optuna.distributions.FloatDistribution(0, 2)}
    study.add_trial(optuna.trial.create_trial(params={"weight": 0.4, "ratio": 1.0}, distributions=dist, value=1 - loss(0.4)))

    def objective(trial):
        w, r = trial.suggest_float("weight", 0, 1), trial.suggest_float("ratio", 0, 2)
        return 1.0 - loss(w) if r else 0.0

    while not sampler_done(study):
        study.optimize(objective, n_trials=1)
    searched = [t.params["weight"] for t in study.trials[2:]]
    assert study.trials[0].params == {"weight": 0.5, "ratio": 0.0}  # the baseline ran untouched
    assert searched == [w for w in expected if w != 0.4]
