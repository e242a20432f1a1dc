"""Classification metrics from a confusion matrix, in numpy.

Conventions for classes without test samples (a split can hold an empty class folder, TAO wants every class there):

- recall of a class with no true samples is undefined: NaN, and it is left out of the mean class accuracy (averaging
  in a 0 or a 1 would reward or punish the model for data that does not exist). This matches TAO's m_accuracy, which
  averages the per-class accuracy over the classes it saw.
- precision of a class never predicted is undefined: NaN.
- the false-positive rate of a class is FP / (FP + TN): the share of the OTHER classes' samples predicted as it (the
  false alarms a rare-class detector raises); NaN when the split holds no sample of another class.
- F1 is 2TP / (2TP + FP + FN). It is 0 whenever the class was true or predicted at least once and never both, and
  NaN when the class is neither true nor predicted (0/0: there is no evidence either way, and a 0 would drag a macro
  F1 down for a class the test split does not hold).

NaN never reaches JSON: ScoreResult.to_dict writes it as null.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray,
                     num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) int64 counts: rows are true classes, columns predicted classes."""
    t = np.asarray(y_true, dtype=np.int64).reshape(-1)
    p = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred: lengths differ ({t.size} vs {p.size})")
    for name, values in (("y_true", t), ("y_pred", p)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name}: class index outside [0, {num_classes})")
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def accuracy(confusion: np.ndarray) -> float:
    """Fraction of samples on the diagonal; NaN when there are no samples."""
    c = np.asarray(confusion)
    total = c.sum()
    return float(np.trace(c) / total) if total else float("nan")


def per_class_recall(confusion: np.ndarray) -> np.ndarray:
    """TP / (TP + FN) per class; NaN for a class with no true samples."""
    c = np.asarray(confusion, dtype=np.float64)
    return _safe_divide(np.diag(c), c.sum(axis=1))


def per_class_precision(confusion: np.ndarray) -> np.ndarray:
    """TP / (TP + FP) per class; NaN for a class never predicted."""
    c = np.asarray(confusion, dtype=np.float64)
    return _safe_divide(np.diag(c), c.sum(axis=0))


def per_class_f1(confusion: np.ndarray) -> np.ndarray:
    """2TP / (2TP + FP + FN) per class; NaN for a class neither true nor predicted."""
    c = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(c)
    return _safe_divide(2 * tp, c.sum(axis=0) + c.sum(axis=1))


def per_class_false_positive_rate(confusion: np.ndarray) -> np.ndarray:
    """FP / (FP + TN) per class: samples of other classes predicted as it, over all samples of other classes; NaN when
    there are none."""
    c = np.asarray(confusion, dtype=np.float64)
    predicted, true = c.sum(axis=0), c.sum(axis=1)
    return _safe_divide(predicted - np.diag(c), c.sum() - true)


def mean_class_accuracy(confusion: np.ndarray) -> float:
    """Mean per-class recall over the classes with true samples (TAO's m_accuracy / 100); NaN when none has any."""
    recall = per_class_recall(confusion)
    present = ~np.isnan(recall)
    return float(recall[present].mean()) if present.any() else float("nan")
