"""Samplers by name, seeded."""

from __future__ import annotations

import optuna

from optimizer.config import SAMPLERS, ConfigError


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ConfigError(f"search.sampler: unknown sampler {name!r} (known: {', '.join(SAMPLERS)})")
