"""Toy objectives of known optimum for the sampler benchmark: accuracy-like values in [0.5, 0.9] over the weight in
[0, 1] (and the ratio in [0, 2] for the 2-D shapes), with seeded noise.

Noise model: value = f(x) + sigma (rho z_seed + sqrt(1 - rho^2) e), z_seed a standard normal drawn from the seed the
trial generates and trains with, e fresh for every evaluation. Half of the variance (rho^2 = 0.5) belongs to the
seed, as when one training seed is luckier than another; the probes of an SPSA difference share their seed (common
random numbers), every other trial has its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

RHO = math.sqrt(0.5)
WEIGHT = (0.0, 1.0)
RATIO = (0.0, 2.0)


@dataclass(frozen=True)
class Toy:
    name: str
    optimum: tuple[float, ...]  # (w*,) or (w*, r*)
    f: Callable[..., float]
    note: str

    @property
    def dims(self) -> int:
        return len(self.optimum)

    def distance(self, point: dict[str, float]) -> float:
        """|w - w*| in 1-D; in 2-D the larger of |w - w*| and |r - r*| / 2 (each as a fraction of its range)."""
        d = abs(point["weight"] - self.optimum[0])
        if self.dims == 2:
            d = max(d, abs(point["ratio"] - self.optimum[1]) / (RATIO[1] - RATIO[0]))
        return d

    def value(self, point: dict[str, float], sigma: float, seed: int, rng: np.random.Generator) -> float:
        args = (point["weight"],) if self.dims == 1 else (point["weight"], point["ratio"])
        z_seed = float(np.random.default_rng([seed, 12345]).standard_normal())
        return self.f(*args) + sigma * (RHO * z_seed + math.sqrt(1 - RHO**2) * float(rng.standard_normal()))


def _bump(w: float) -> float:
    return 0.6 + 0.3 * math.exp(-((w - 0.43) ** 2) / (2 * 0.15**2))


_A, _B = 4.4, 1.6  # a Beta-shaped curve peaking at a / (a + b) = 0.733, steep on the right
_BETA_MAX = (_A / (_A + _B)) ** _A * (_B / (_A + _B)) ** _B


def _skewed(w: float) -> float:
    return 0.55 + 0.35 * (w**_A * (1 - w) ** _B) / _BETA_MAX


def _flat_peak(w: float) -> float:
    return 0.6 + 0.3 * math.exp(-((w - 0.85) ** 2) / (2 * 0.06**2))


def _ridge(w: float, r: float) -> float:
    u, v = (w - 0.38) / 0.2, (r - 1.42) / 0.6
    return 0.6 + 0.3 * math.exp(-0.5 * (u * u - 1.2 * u * v + v * v) / (1 - 0.36))


TOYS = (
    Toy("bump-1d", (0.43,), _bump, "Gaussian bump, w* = 0.43 (within legacy's reach)"),
    Toy("skewed-1d", (_A / (_A + _B),), _skewed, "Beta-shaped, w* = 0.733, steep beyond it"),
    Toy("flat-peak-1d", (0.85,), _flat_peak, "flat at 0.6 up to ~0.7, narrow peak at w* = 0.85"),
    Toy("ridge-2d", (0.38, 1.42), _ridge, "correlated 2-D bump, (w*, r*) = (0.38, 1.42)"),
)
