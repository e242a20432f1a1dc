"""The arithmetic of "is it worth it?": t-intervals of means, of paired differences, and the verdict a user reads.

Every arm of a final selection is trained with the same seeds, so arm A's value at seed i and arm B's at seed i share
the luck of that seed (its synthetic draw, its training run); the difference per seed removes it. The interval of the
mean difference is Student's t on the n differences (df n - 1): exact if they are normal, and with 3 to 10 seeds the
only honest width to state (a bootstrap over so few values is too narrow).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
MAX_SEEDS = 10_000  # beyond this the "seeds needed" estimate says "more than"


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _t(n: int, confidence: float = CONFIDENCE) -> float:
    from scipy import stats  # here: scipy takes a second to import, and `status` only formats

    return float(stats.t.ppf(0.5 + confidence / 2, n - 1))


def t_interval(values: Sequence[float | None], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and the two-sided Student-t interval of the finite values; NaN bounds with fewer than two, all NaN with
    none (precision is NaN for a seed whose model never predicted the class)."""
    v = _finite(values)
    n = len(v)
    if not n:
        return math.nan, math.nan, math.nan
    mean = sum(v) / n
    if n < 2:
        return mean, math.nan, math.nan
    sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1))
    half = _t(n, confidence) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class PairedDifference:
    """mean of a_i - b_i over the seeds both have, its t-interval, the SD of the differences, and n."""

    mean: float
    low: float
    high: float
    sd: float
    n: int

    @property
    def shown(self) -> bool:
        """The interval excludes zero."""
        return self.n >= 2 and (self.low > 0 or self.high < 0)

    def seeds_needed(self, confidence: float = CONFIDENCE) -> int | None:
        """The smallest n >= 2 with t_{(1+c)/2, n-1} * sd / sqrt(n) < |mean|: how many paired seeds would exclude zero
        if the mean difference and its SD stayed as observed. None when no difference was observed (mean 0) or the
        SD is unknown; MAX_SEEDS + 1 when even MAX_SEEDS would not."""
        if self.n < 2 or not math.isfinite(self.sd) or self.mean == 0:
            return None
        if self.sd == 0:
            return 2
        target = abs(self.mean)
        low, high = 2, MAX_SEEDS
        if _t(high, confidence) * self.sd / math.sqrt(high) >= target:
            return MAX_SEEDS + 1
        while low < high:  # the half-width falls monotonically in n
            mid = (low + high) // 2
            if _t(mid, confidence) * self.sd / math.sqrt(mid) < target:
                high = mid
            else:
                low = mid + 1
        return low


def paired_difference(
    a: dict[int, float | None], b: dict[int, float | None], confidence: float = CONFIDENCE
) -> PairedDifference:
    """a and b map seed -> value; only seeds where both are finite count."""
    diffs = [float(a[s]) - float(b[s]) for s in a if s in b and len(_finite([a[s], b[s]])) == 2]
    n = len(diffs)
    mean, low, high = t_interval(diffs, confidence)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n >= 2 else math.nan
    return PairedDifference(mean, low, high, sd, n)


def _signed(value: float) -> str:
    return f"{value:+.3f}" if math.isfinite(value) else "n/a"


def verdict(label: str, reference: str, metric: str, diff: PairedDifference) -> str:
    """One line, e.g. "w 0.25 r 0.80 vs none: +0.041 mean class accuracy (95% CI -0.012..+0.094, 5 paired seeds):
    not shown; about 14 seeds would resolve a difference this size"."""
    what = metric.replace("_", " ")
    head = f"{label} vs {reference}: {_signed(diff.mean)} {what}"
    if diff.n < 2:
        return f"{head} ({diff.n} paired seed{'s' if diff.n != 1 else ''}): too few seeds for an interval"
    head += f" (95% CI {_signed(diff.low)}..{_signed(diff.high)}, {diff.n} paired seeds)"
    if diff.sd == 0:
        if diff.mean == 0:
            return f"{head}: identical on every seed"
        return f"{head}: {'better' if diff.mean > 0 else 'worse'} by the same amount on every seed"
    if diff.shown:
        return f"{head}: {'better' if diff.mean > 0 else 'worse'}, shown at 95%"
    needed = diff.seeds_needed()
    if needed is None:
        return f"{head}: not shown; no difference observed"
    if needed > MAX_SEEDS:
        return f"{head}: not shown; more than {MAX_SEEDS} seeds would be needed for a difference this size"
    return f"{head}: not shown; about {needed} seeds would resolve a difference this size"


def comparisons(summary: dict | None) -> list[dict[str, object]]:
    """Of a stored final selection (optimizer.study.selection): each candidate against each reference arm, paired by
    seed: mean difference, 95% CI, SD, n, seeds needed and the verdict line. Empty without reference arms (a summary
    written before they existed)."""
    if not summary:
        return []
    out = []
    for i, row in enumerate(summary.get("candidates", [])):
        a = dict(zip(row["seeds"], row["values"]))
        label = row.get("label") or f"w {row['weight']:.2f} r {row['ratio']:.2f}"
        for ref in summary.get("references", []):
            diff = paired_difference(a, dict(zip(ref["seeds"], ref["values"])))
            out.append({"candidate": i, "label": label, "reference": ref["arm"], "mean": diff.mean, "low": diff.low,
                        "high": diff.high, "sd": diff.sd, "n": diff.n, "seeds_needed": diff.seeds_needed(),
                        "verdict": verdict(label, ref["arm"], summary["metric"], diff)})
    return out
