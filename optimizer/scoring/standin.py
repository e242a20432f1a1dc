"""StandInScorer: sleeps, then scores a trial by a known smooth function of its (weight, ratio). No model is trained.

It exists to measure the driver and its storage without a GPU (`autosynthda bench workers`, the cluster tests): the
sleep plays the part of TAO's minutes of training. Never a way to choose (w, r) for a real dataset; the study table
and MLflow mark its results (info.stand_in).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from generation.dataset import TrialManifest
from optimizer.scoring.protocol import ReportFn, ScoreResult, TrialDataset

# The toy optimum: w = 0.6, r = 1.0, value 0.9; 0.6 far from it.
OPTIMUM = (0.6, 1.0)


def stand_in_value(weight: float, ratio: float) -> float:
    w0, r0 = OPTIMUM
    return 0.6 + 0.3 * math.exp(-((weight - w0) ** 2) / 0.05 - ((ratio - r0) ** 2) / 0.5)


@dataclass(frozen=True)
class StandInScorer:
    seconds: float = 2.0

    def score(self, dataset: TrialDataset, *, seed: int, report: ReportFn | None = None) -> ScoreResult:
        manifest = TrialManifest.read(dataset.root)
        started = time.perf_counter()
        time.sleep(self.seconds)
        value = stand_in_value(manifest.weight, manifest.ratio)
        classes = dataset.classes
        return ScoreResult(
            accuracy=value, mean_class_accuracy=value, per_class_recall=dict.fromkeys(classes, value),
            per_class_f1=dict.fromkeys(classes, value), confusion=[], classes=classes,
            target_class=dataset.target_class, loss=1.0 - value, train_seconds=time.perf_counter() - started,
            eval_seconds=0.0, info={"stand_in": True, "seconds": self.seconds},
        )
