"""What the optimiser asks of a scorer: train an action recogniser on a trial dataset, report what it scored on test.

Every backend (the embedded torch scorer, TAO in Docker, ...) takes a TrialDataset and returns a ScoreResult, so the
driver and the study records do not care which one ran.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, get_args, runtime_checkable

import numpy as np

from generation.dataset.manifest import MANIFEST_NAME, TrialManifest
from generation.errors import AutoSynthDaError
from optimizer.scoring import metrics

Metric = Literal["mean_class_accuracy", "accuracy", "target_recall", "target_f1"]
METRICS: tuple[str, ...] = get_args(Metric)

# Written by to_dict for readers, recomputed from the confusion matrix on load.
DERIVED = ("per_class_precision", "per_class_false_positive_rate")

# report(epoch, value) after each epoch; True asks the scorer to stop (the trial is pruned).
ReportFn = Callable[[int, float], bool]


class ScoringError(AutoSynthDaError, ValueError):
    """A trial dataset or scorer setting that cannot be scored, with the path or field at fault. A scorer that ran a
    tool (TAO) sets log_tail to the tool's last log lines."""

    log_tail: str = ""


class ScoringPruned(Exception):
    """The report callback asked to stop after `epoch` (value = what was reported). Not an error: the driver turns it
    into its own pruning signal (optuna.TrialPruned), so this module need not import Optuna."""

    def __init__(self, epoch: int, value: float) -> None:
        self.epoch = epoch
        self.value = value
        super().__init__(f"pruned after epoch {epoch} (reported {value:.4f})")


@dataclass(frozen=True)
class TrialDataset:
    """A folder with train/ val/ test/ in TAO's action_recognition layout, its label map and the rare class."""

    root: Path
    label_map: dict[str, int]
    target_class: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))
        if self.target_class not in self.label_map:
            raise ScoringError(f"{self.root}: target_class: {self.target_class!r} is not in the label map")
        if sorted(self.label_map.values()) != list(range(len(self.label_map))):
            raise ScoringError(f"{self.root}: label_map: indices must be 0..{len(self.label_map) - 1}")

    @classmethod
    def from_manifest(cls, root: str | Path) -> TrialDataset:
        root = Path(root)
        try:
            manifest = TrialManifest.read(root)
        except FileNotFoundError:
            raise ScoringError(f"{root / MANIFEST_NAME}: trial manifest: not found") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ScoringError(f"{root / MANIFEST_NAME}: trial manifest: unreadable ({exc!r})") from None
        return cls(root, dict(manifest.label_map), manifest.target_class)

    @property
    def classes(self) -> list[str]:
        """Class names in label-map index order (the order of confusion rows and columns)."""
        return sorted(self.label_map, key=self.label_map.__getitem__)

    def split_dir(self, split: str) -> Path:
        return self.root / split


@dataclass(frozen=True)
class ScoreResult:
    """Test-split scores of the model a scorer selected, plus its training curve.

    accuracy and mean_class_accuracy are fractions in [0, 1]. Per-class values are NaN where undefined (see
    optimizer.scoring.metrics). confusion rows are true classes, columns predicted, both in `classes` order.
    train_seconds covers reading train/val and every epoch; eval_seconds reading test and predicting it.
    epochs: one dict per epoch run (train_loss, train_acc, val_loss, val_acc, ...). best_epoch: the epoch whose weights
    were tested (0-based index into epochs).
    """

    accuracy: float
    mean_class_accuracy: float
    per_class_recall: dict[str, float]
    per_class_f1: dict[str, float]
    confusion: list[list[int]]
    classes: list[str]
    target_class: str
    loss: float
    train_seconds: float
    eval_seconds: float
    epochs: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = -1
    info: dict[str, Any] = field(default_factory=dict)  # scorer settings and the like, for the study records

    @classmethod
    def from_predictions(
        cls,
        y_true: Sequence[int] | np.ndarray,
        y_pred: Sequence[int] | np.ndarray,
        classes: Sequence[str],
        target_class: str,
        **rest: Any,
    ) -> ScoreResult:
        """Fill the metric fields from test labels and predictions (indices into `classes`)."""
        conf = metrics.confusion_matrix(y_true, y_pred, len(classes))
        recall, f1 = metrics.per_class_recall(conf), metrics.per_class_f1(conf)
        return cls(
            accuracy=metrics.accuracy(conf),
            mean_class_accuracy=metrics.mean_class_accuracy(conf),
            per_class_recall={c: float(r) for c, r in zip(classes, recall)},
            per_class_f1={c: float(v) for c, v in zip(classes, f1)},
            confusion=conf.tolist(),
            classes=list(classes),
            target_class=target_class,
            **rest,
        )

    @property
    def per_class_precision(self) -> dict[str, float]:
        """TP / (TP + FP) per class from `confusion`; NaN for a class never predicted, and for every class when the
        scorer could not build the matrix (confusion empty)."""
        return self._from_confusion(metrics.per_class_precision)

    @property
    def per_class_false_positive_rate(self) -> dict[str, float]:
        """Other classes' test clips predicted as the class, over all other classes' test clips (the false alarms of
        a detector of that class), from `confusion`; NaN where undefined or without a matrix."""
        return self._from_confusion(metrics.per_class_false_positive_rate)

    def target_measures(self) -> dict[str, float]:
        """The target class's recall, precision, F1 and false-positive rate (NaN where unknown)."""
        t = self.target_class
        return {
            "recall": self.per_class_recall.get(t, math.nan),
            "precision": self.per_class_precision[t],
            "f1": self.per_class_f1.get(t, math.nan),
            "fpr": self.per_class_false_positive_rate[t],
        }

    def _from_confusion(self, measure: Callable[[np.ndarray], np.ndarray]) -> dict[str, float]:
        n = len(self.classes)
        conf = np.asarray(self.confusion, dtype=np.int64)
        if conf.shape != (n, n) or n == 0:
            return dict.fromkeys(self.classes, math.nan)
        return {c: float(v) for c, v in zip(self.classes, measure(conf))}

    def metric(self, name: str) -> float:
        """One of METRICS; target_* are about target_class."""
        if name == "mean_class_accuracy":
            return self.mean_class_accuracy
        if name == "accuracy":
            return self.accuracy
        if name == "target_recall":
            return self.per_class_recall[self.target_class]
        if name == "target_f1":
            return self.per_class_f1[self.target_class]
        raise ScoringError(f"metric: unknown {name!r}, expected one of {', '.join(METRICS)}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; NaN becomes None (strict JSON has no NaN). The per-class precision and false-positive
        rate ride along for readers of result.json; from_dict drops them (they derive from confusion)."""
        derived = {"per_class_precision": self.per_class_precision,
                   "per_class_false_positive_rate": self.per_class_false_positive_rate}
        return _json_safe({**asdict(self), **derived})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreResult:
        def nan(d: dict[str, float | None]) -> dict[str, float]:
            return {k: float("nan") if v is None else float(v) for k, v in d.items()}

        def num(v: float | None) -> float:
            return float("nan") if v is None else float(v)

        fields = {k: v for k, v in data.items() if k not in DERIVED}
        for key in ("accuracy", "mean_class_accuracy", "loss"):
            fields[key] = num(fields[key])
        fields["per_class_recall"] = nan(fields["per_class_recall"])
        fields["per_class_f1"] = nan(fields["per_class_f1"])
        fields["epochs"] = [nan(e) for e in fields.get("epochs", [])]
        return cls(**fields)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


@runtime_checkable
class Scorer(Protocol):
    """Trains a recogniser on dataset's train split (model selection on val) and scores it on test.

    The same dataset and seed must give the same result on the same machine. report(epoch, value), when given, is called
    after every epoch with the scorer's validation selection metric; if it returns True the scorer stops and raises
    ScoringPruned.
    """

    def score(self, dataset: TrialDataset, *, seed: int, report: ReportFn | None = None) -> ScoreResult: ...
