"""Samplers by name, seeded; the pruner by name."""

from __future__ import annotations

import optuna

from optimizer.config import SAMPLERS, ConfigError, SearchConfig


def make_sampler(name: str, seed: int, search: SearchConfig | None = None) -> optuna.samplers.BaseSampler:
    """search gives the ranges and the finite-difference options (legacy, spsa); without it, SearchConfig's defaults."""
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name in ("legacy", "spsa"):
        return _finite_difference(name, seed, search or SearchConfig())
    raise ConfigError(f"search.sampler: unknown sampler {name!r} (known: {', '.join(SAMPLERS)})")


def make_pruner(name: str) -> optuna.pruners.BasePruner:
    """Explicitly none by default: Optuna's own default (a median pruner) would stop noisy trials after one epoch."""
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=5)
    return optuna.pruners.NopPruner()


def _finite_difference(name: str, seed: int, search: SearchConfig) -> optuna.samplers.BaseSampler:
    from optimizer.samplers import FiniteDifferenceSampler, LegacyOptions, SpsaOptions
    from optimizer.study.recovery import reap

    bounds = {"weight": search.weight, "ratio": search.ratio}
    lg, sp = search.legacy, search.spsa
    legacy = LegacyOptions(start=lg.start, step=lg.step, tol=lg.tol, max_iter=lg.max_iter, ratio=lg.ratio)
    start = None
    if sp.start is not None:  # the config gives raw values, the search runs in [0, 1] per range
        unit = [_unit(sp.start[0], search.weight), _unit(sp.start[1], search.ratio)]
        start = tuple(unit[:1] if sp.ratio is not None else unit)
    spsa = SpsaOptions(
        init=sp.init, start=start, step=sp.step, probe=sp.probe, alpha=sp.alpha, gamma=sp.gamma, stability=sp.stability,
        max_step=sp.max_step, repeats=sp.repeats, max_iter=sp.max_iter, ratio=sp.ratio, average=sp.average,
    )
    # While every probe it needs is in flight, a worker reaps the trials of dead workers (as the runner does between
    # trials) rather than wait for them forever.
    return FiniteDifferenceSampler(name, bounds=bounds, legacy=legacy, spsa=spsa, seed=seed, reap=reap)


def _unit(value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return 0.5 if high == low else (value - low) / (high - low)
