"""Samplers and pruners by name, as a study config names them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, get_args

import optuna

from optimizer.samplers.sampler import FiniteDifferenceSampler
from optimizer.trials import RATIO, WEIGHT

if TYPE_CHECKING:
    from optimizer.config import SearchConfig

SamplerName = Literal["tpe", "gp", "random", "legacy", "spsa"]
PrunerName = Literal["none", "median", "hyperband", "successive_halving"]
SAMPLERS: tuple[str, ...] = get_args(SamplerName)
PRUNERS: tuple[str, ...] = get_args(PrunerName)
FINITE_DIFFERENCE = ("legacy", "spsa")  # their state lives in the study: every worker must draw the same points


def make_sampler(
    name: str, seed: int, search: SearchConfig | None = None, *, reap: Callable[[optuna.Study], object] | None = None
) -> optuna.samplers.BaseSampler:
    """search gives the ranges and the finite-difference options (legacy, spsa); without it, their defaults.
    reap(study), for the finite-difference samplers, fails the trials of dead workers while a worker waits for a
    probe in flight (as the runner does between trials) rather than wait for them forever."""
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name in FINITE_DIFFERENCE:
        if search is None:
            return FiniteDifferenceSampler(name, seed=seed, reap=reap)
        bounds = {WEIGHT: search.weight, RATIO: search.ratio}
        return FiniteDifferenceSampler(name, bounds=bounds, legacy=search.legacy, spsa=search.spsa, seed=seed,
                                       reap=reap)
    raise ValueError(f"search.sampler: unknown sampler {name!r} (known: {', '.join(SAMPLERS)})")


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    """Explicitly none by default: Optuna's own default (a median pruner) stops noisy trials after one epoch.

    median: below the median of earlier trials at the same epoch (after 5 trials and 5 epochs). successive_halving
    and hyperband (Optuna's, on the scorer's per-epoch validation value, e.g. TAO's val_acc): keep the best 1/3 of
    the trials at each rung of 1, 3, 9, ... epochs; hyperband runs several such brackets to hedge the first rung."""
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=5)
    if name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, reduction_factor=3)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"search.pruner: unknown pruner {name!r} (known: {', '.join(PRUNERS)})")
