"""SynthDa's calculate_new_weight, replayed from results so that it can resume from any point.

The original (../shared/reference/SYNTHDA.md) evaluated L lazily and cached it by weight. Here each uncached L(w) is
one trial, and the replay stops at the first weight it has no loss for: that weight is the next probe. Weights are
rounded to 3 dp before they are evaluated, so the weight a trial trains on is the one the cache is keyed by.
"""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.samplers.options import LegacyOptions
from optimizer.samplers.plan import Plan, Probe


def weight_key(weight: float) -> str:
    return f"{round(weight, 3) + 0.0:.3f}"  # + 0.0 turns -0.0 into 0.0


class LegacyStrategy:
    mode = "legacy"

    def __init__(
        self,
        options: LegacyOptions,
        *,
        param: str = "weight",
        bounds: tuple[float, float] = (0.0, 1.0),
        fixed: Mapping[str, float] | None = None,
    ) -> None:
        self.options = options
        self.param = param
        self.bounds = bounds
        self.fixed = dict(fixed or {})
        self.searched = (param,)

    def _probe(self, weight: float) -> Probe:
        return Probe(weight_key(weight), {self.param: weight, **self.fixed})

    def _point(self, weight: float) -> dict[str, float]:
        return {self.param: weight, **self.fixed}

    def key_for_params(self, params: Mapping[str, float]) -> str | None:
        # Any trial at exactly this (weight, fixed ratio) answers the probe: the original's cache, kept in the study.
        if self.param not in params:
            return None
        if any(name in params and abs(params[name] - value) > 1e-9 for name, value in self.fixed.items()):
            return None
        weight = float(params[self.param])
        if abs(weight - round(weight, 3)) > 1e-9:
            return None
        return weight_key(weight)

    def plan(self, losses: Mapping[str, float]) -> Plan:
        o = self.options
        lo, hi = self.bounds
        prev_w = round(min(max(o.start, lo), hi), 3)
        if weight_key(prev_w) not in losses:
            return Plan((self._probe(prev_w),), self._point(prev_w), 0)
        prev_loss = losses[weight_key(prev_w)]
        step = o.step
        trace: list[dict[str, object]] = []
        for iteration in range(o.max_iter):
            low, high = max(prev_w - step, lo), min(prev_w + step, hi)
            w_low, w_high = round(low, 3), round(high, 3)
            missing = [w for w in dict.fromkeys((w_low, w_high)) if weight_key(w) not in losses]
            if missing:
                return Plan(tuple(self._probe(w) for w in missing), self._point(prev_w), iteration, trace=trace)
            loss_low, loss_high = losses[weight_key(w_low)], losses[weight_key(w_high)]
            candidates = [(w_low, loss_low), (prev_w, prev_loss), (w_high, loss_high)]
            next_w, _ = min(candidates, key=lambda c: c[1])  # min keeps the first of equal losses
            if next_w == prev_w:
                # The midpoint rule: it differs from prev_w only where a bound clipped low or high.
                next_w = round((low + high) / 2, 3)
            if weight_key(next_w) not in losses:
                return Plan((self._probe(next_w),), self._point(prev_w), iteration, trace=trace)
            new_loss = losses[weight_key(next_w)]
            trace.append({"iteration": iteration, "weight": next_w, "loss": new_loss, "step": step})
            if abs(new_loss - prev_loss) < o.tol:
                reason = f"converged: |delta loss| {abs(new_loss - prev_loss):.4g} < tol {o.tol:g}"
                return Plan((), self._point(next_w), iteration + 1, done=True, reason=reason, trace=trace)
            # The notebook carries L(next_w) on, also after a midpoint jump (its next_loss is only printed there).
            prev_w, prev_loss = next_w, new_loss
            step /= 2
        reason = f"max_iter {o.max_iter} reached"
        return Plan((), self._point(prev_w), o.max_iter, done=True, reason=reason, trace=trace)
