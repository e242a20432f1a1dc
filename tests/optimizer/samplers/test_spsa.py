"""spsa mode: probes inside the box, common random numbers, repeats, a deterministic trajectory; Optuna conformance."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest
from optuna.testing.pytest_samplers import BasicSamplerTestCase

from optimizer.samplers import PROBE_ATTR, FiniteDifferenceSampler, SpsaOptions, sampler_done, trial_crn_seed
from optimizer.samplers.spsa import SpsaStrategy

optuna.logging.set_verbosity(optuna.logging.WARNING)


def toy(w, r, seed):
    """Accuracy-like, optimum (0.3, 1.4), plus a seed-dependent offset that common random numbers cancel."""
    offset = 0.05 * float(np.random.default_rng(seed).standard_normal()) if seed is not None else 0.0
    return 0.9 - (w - 0.3) ** 2 - 0.25 * (r - 1.4) ** 2 + offset


def run(options=SpsaOptions(), n_trials=30, seed=0):
    sampler = FiniteDifferenceSampler("spsa", spsa=options, seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    seen = []

    def objective(trial):
        w, r = trial.suggest_float("weight", 0.0, 1.0), trial.suggest_float("ratio", 0.0, 2.0)
        seen.append(trial_crn_seed(trial))  # what the study's objective reads to seed generation and training
        return toy(w, r, seen[-1])

    study.optimize(objective, n_trials=n_trials)
    return study, sampler, seen


def test_probe_pairs_share_a_seed_and_stay_inside_the_box():
    study, _, seen = run(SpsaOptions(init=0, start=(0.0, 2.0), step=0.3), n_trials=20)  # starts in a corner (raw w, r)
    probes = [t.system_attrs[PROBE_ATTR] for t in study.trials]
    assert [p["key"] for p in probes[:4]] == ["spsa:0:0:+", "spsa:0:0:-", "spsa:1:0:+", "spsa:1:0:-"]
    for plus, minus in zip(probes[::2], probes[1::2]):
        assert plus["seed"] == minus["seed"] is not None
    assert len({p["seed"] for p in probes}) == len(probes) // 2
    assert seen == [p["seed"] for p in probes]
    for t in study.trials:
        assert 0.0 <= t.params["weight"] <= 1.0 and 0.0 <= t.params["ratio"] <= 2.0
    # the first pair is centred inside the box, c_0 = 0.1 of each range away from the corner
    assert sorted([study.trials[0].params["weight"], study.trials[1].params["weight"]]) == pytest.approx([0.0, 0.2])


def test_common_random_numbers_cancel_the_seed_offset():
    study, sampler, _ = run(n_trials=40)
    final = sampler.plan(study).recommendation
    assert abs(final["weight"] - 0.3) < 0.05 and abs(final["ratio"] - 1.4) < 0.15


def test_repeats_and_max_iter():
    study, sampler, _ = run(SpsaOptions(repeats=2, max_iter=3), n_trials=50)
    keys = [t.system_attrs[PROBE_ATTR]["key"] for t in study.trials]
    design = [f"spsa:init:{i}" for i in range(4)]
    assert keys == design + [f"spsa:{k}:{j}:{s}" for k in range(3) for j in range(2) for s in "+-"]  # then stop()
    assert len({t.system_attrs[PROBE_ATTR]["seed"] for t in study.trials[:4]}) == 1  # the design shares one seed
    assert sampler_done(study).reason == "max_iter 3 reached"
    study.optimize(lambda t: toy(t.suggest_float("weight", 0, 1), t.suggest_float("ratio", 0, 2), None), n_trials=5)
    final = study.trials[-1]  # a trial asked for after the end re-evaluates the answer, and the study stops again
    assert len(study.trials) == 17 and final.system_attrs[PROBE_ATTR]["key"] == "final"
    assert final.params == pytest.approx(sampler.plan(study).recommendation)


def test_the_trajectory_is_a_function_of_the_results_alone():
    a, sa, _ = run(n_trials=16)
    b, sb, _ = run(n_trials=16)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert sa.plan(a).recommendation == sb.plan(b).recommendation
    c, _, _ = run(n_trials=16, seed=1)
    assert [t.params for t in c.trials] != [t.params for t in a.trials]  # the perturbations come from the seed


def test_one_dimensional_when_the_ratio_is_fixed():
    study, _, _ = run(SpsaOptions(ratio=0.5), n_trials=10)
    assert {t.params["ratio"] for t in study.trials} == {0.5}
    assert len({t.params["weight"] for t in study.trials}) == 10


def test_gains_decay_and_probes_never_exceed_half_the_range():
    # validation refuses probe > 0.5; the strategy clips c_k anyway (model_construct skips validation)
    strategy = SpsaStrategy(SpsaOptions.model_construct(probe=0.9), bounds={"weight": (0, 1)}, searched=("weight",))
    steps = [strategy.gains(k) for k in range(50)]
    assert all(a1 > a2 for (a1, _), (a2, _) in zip(steps, steps[1:]))
    assert all(c <= 0.5 for _, c in steps) and math.isclose(steps[0][0], 0.1)


class TestConformance(BasicSamplerTestCase):
    """Optuna's own sampler suite, with the searched parameters named as the suite names them (x, y)."""

    @pytest.fixture(params=["spsa", "legacy"])
    def sampler(self, request):
        bounds = {"x": (0.0, 10.0), "y": (0.0, 10.0)}
        return lambda: FiniteDifferenceSampler(
            request.param, bounds=bounds, weight_param="x", ratio_param="y", seed=0, stop_study=False
        )
