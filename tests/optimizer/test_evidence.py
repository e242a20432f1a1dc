"""The paired arithmetic of the final selection, checked against scipy on known numbers, and its verdict lines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from optimizer.evidence import MAX_SEEDS, paired_difference, t_interval, verdict

CANDIDATE = [0.80, 0.85, 0.74, 0.91, 0.78]
NONE = [0.76, 0.80, 0.77, 0.82, 0.75]


def test_paired_difference_is_scipys_paired_t_interval():
    a, b = dict(enumerate(CANDIDATE)), dict(enumerate(NONE))
    diff = paired_difference(a, b)
    ref = stats.ttest_rel(CANDIDATE, NONE).confidence_interval(0.95)
    d = np.subtract(CANDIDATE, NONE)
    assert diff.n == 5 and diff.mean == pytest.approx(d.mean()) and diff.sd == pytest.approx(d.std(ddof=1))
    assert (diff.low, diff.high) == pytest.approx((ref.low, ref.high))
    # the same numbers unpaired would be a different (wider) question
    assert t_interval(list(d)) == pytest.approx((d.mean(), ref.low, ref.high))


def test_only_seeds_both_arms_have_count():
    diff = paired_difference({1: 0.9, 2: 0.8, 3: 0.7, 4: float("nan")}, {2: 0.7, 3: 0.6, 4: 0.5, 5: 0.4})
    assert diff.n == 2 and diff.mean == pytest.approx(0.1)


def test_seeds_needed_is_the_smallest_n_whose_interval_excludes_zero():
    diff = paired_difference(dict(enumerate(CANDIDATE)), dict(enumerate(NONE)))
    n = diff.seeds_needed()
    half = lambda k: stats.t.ppf(0.975, k - 1) * diff.sd / math.sqrt(k)  # noqa: E731
    assert half(n) < abs(diff.mean) <= half(n - 1)
    assert not diff.shown and n > diff.n
    line = verdict("w 0.25 r 0.80", "none", "mean_class_accuracy", diff)
    assert line == (f"w 0.25 r 0.80 vs none: +{diff.mean:.3f} mean class accuracy (95% CI {diff.low:+.3f}.."
                    f"{diff.high:+.3f}, 5 paired seeds): not shown; about {n} seeds would resolve a difference "
                    "this size")


def test_verdicts_for_shown_identical_too_few_and_hopeless():
    better = paired_difference({i: 0.8 + 0.01 * i for i in range(4)}, {i: 0.7 + 0.012 * i for i in range(4)})
    assert better.shown and verdict("w 0.50 r 1.00", "synthda", "accuracy", better).endswith("better, shown at 95%")
    same = paired_difference({1: 0.5, 2: 0.6}, {1: 0.5, 2: 0.6})
    assert verdict("x", "none", "accuracy", same).endswith("identical on every seed") and same.seeds_needed() is None
    one = paired_difference({1: 0.5}, {1: 0.4})
    assert verdict("x", "none", "accuracy", one).endswith("(1 paired seed): too few seeds for an interval")
    tiny = paired_difference({1: 0.5, 2: 0.9, 3: 0.1}, {1: 0.5, 2: 0.1, 3: 0.899})
    assert tiny.seeds_needed() == MAX_SEEDS + 1 and "more than 10000 seeds" in verdict("x", "none", "accuracy", tiny)
