"""SPSA over the normalised (weight, ratio) box, replayed from results so that it can resume from any point.

A local method stalls where the metric is flat, so it first evaluates `init` points of a Latin hypercube over the box
(all with one shared seed, so the seed's luck does not pick the winner) and starts from the best of them.
Iteration k probes center +- c_k * delta (delta a random +-1 vector, one per repeat), with center the iterate moved
inward just enough that both probes stay inside the box. The two probes of one repeat share a seed (common random
numbers): the objective generates and trains with it, so the seed's luck cancels in their difference. The step is
a_k * g / RMS(g so far): the first move is `step` long whatever the scale of the metric, and later moves shrink as the
estimated gradient does; each coordinate moves at most max_step. The recommendation is the mean of the last half of
the iterates (Polyak-Ruppert averaging): the iterate itself keeps jittering around the optimum under noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from optimizer.samplers.options import SpsaOptions
from optimizer.samplers.plan import Plan, Probe


def _perturbation(seed: int, iteration: int, repeat: int, dims: int) -> np.ndarray:
    rng = np.random.default_rng([seed, iteration, repeat, 0])
    return rng.choice(np.array([-1.0, 1.0]), size=dims)


def crn_seed(seed: int, iteration: int, repeat: int) -> int:
    """The seed shared by the + and - probes of one (iteration, repeat)."""
    return int(np.random.default_rng([seed, iteration, repeat, 1]).integers(2**31 - 1))


def _design(seed: int, points: int, dims: int) -> list[np.ndarray]:
    """A Latin hypercube: each coordinate's range cut into `points` strata, one point in each."""
    rng = np.random.default_rng([seed, 2**31, 0, 2])
    columns = [(rng.permutation(points) + rng.random(points)) / points for _ in range(dims)]
    return [np.array(row) for row in zip(*columns)]


class SpsaStrategy:
    mode = "spsa"

    def __init__(
        self,
        options: SpsaOptions,
        *,
        bounds: Mapping[str, tuple[float, float]],
        searched: tuple[str, ...],
        fixed: Mapping[str, float] | None = None,
        seed: int = 0,
        start: tuple[float, ...] | None = None,
    ) -> None:
        """start: the first iterate in normalised units, one value per searched parameter (None: the middle)."""
        self.options = options
        self.bounds = {name: bounds[name] for name in searched}
        self.searched = searched
        self.fixed = dict(fixed or {})
        self.seed = seed
        start = start if start is not None else (0.5,) * len(searched)
        if len(start) != len(searched):
            raise ValueError(f"spsa start has {len(start)} values for {len(searched)} parameters")
        self.start = np.clip(np.array(start, dtype=float), 0.0, 1.0)

    def key_for_params(self, params: Mapping[str, float]) -> str | None:
        return None  # a probe is answered only by its own trial (or that trial's retry): points are continuous

    def _raw(self, x: np.ndarray) -> dict[str, float]:
        point = {}
        for value, name in zip(x, self.searched):
            low, high = self.bounds[name]
            point[name] = float(min(max(low + float(value) * (high - low), low), high))
        return {**point, **self.fixed}

    def gains(self, k: int) -> tuple[float, float]:
        o = self.options
        a_k = o.step * ((1 + o.stability) / (k + 1 + o.stability)) ** o.alpha
        c_k = min(o.probe / (k + 1) ** o.gamma, 0.5)
        return a_k, c_k

    def plan(self, losses: Mapping[str, float]) -> Plan:
        o = self.options
        dims = len(self.searched)
        x = self.start.copy()
        if o.init:
            design = _design(self.seed, o.init, dims)
            seed = crn_seed(self.seed, 2**31, 0)  # one seed for the whole design: its luck cancels in the comparison
            probes = [Probe(f"spsa:init:{i}", self._raw(p), seed) for i, p in enumerate(design)]
            known = [(losses[p.key], i) for i, p in enumerate(probes) if p.key in losses]
            missing = tuple(p for p in probes if p.key not in losses)
            if missing:
                best = design[min(known)[1]] if known else x
                return Plan(missing, self._raw(best), 0)
            x = design[min(known)[1]]
        iterates = [x]
        sum_sq = 0.0
        trace: list[dict[str, object]] = []
        k = 0
        while o.max_iter is None or k < o.max_iter:
            a_k, c_k = self.gains(k)
            center = np.clip(x, c_k, 1.0 - c_k)
            probes, deltas = [], []
            for j in range(o.repeats):
                delta = _perturbation(self.seed, k, j, dims)
                seed = crn_seed(self.seed, k, j)
                deltas.append(delta)
                probes.append(Probe(f"spsa:{k}:{j}:+", self._raw(center + c_k * delta), seed))
                probes.append(Probe(f"spsa:{k}:{j}:-", self._raw(center - c_k * delta), seed))
            missing = tuple(p for p in probes if p.key not in losses)
            if missing:
                return Plan(missing, self._recommend(iterates), k, trace=trace)
            g = np.zeros(dims)
            for j, delta in enumerate(deltas):
                diff = losses[f"spsa:{k}:{j}:+"] - losses[f"spsa:{k}:{j}:-"]
                g += diff / (2.0 * c_k) * delta  # delta is +-1, so 1/delta == delta
            g /= o.repeats
            sum_sq += float(np.mean(g**2))
            rms = math.sqrt(sum_sq / (k + 1))
            move = a_k * g / rms if rms > 0 else np.zeros(dims)
            x = np.clip(x - np.clip(move, -o.max_step, o.max_step), 0.0, 1.0)
            iterates.append(x)
            trace.append({"iteration": k, "x": self._raw(x), "gradient": g.tolist()})
            k += 1
        reason = f"max_iter {o.max_iter} reached"
        return Plan((), self._recommend(iterates), k, done=True, reason=reason, trace=trace)

    def _recommend(self, iterates: list[np.ndarray]) -> dict[str, float]:
        if not self.options.average:
            return self._raw(iterates[-1])
        return self._raw(np.mean(iterates[len(iterates) // 2 :], axis=0))
