"""What may watch a trial while it runs (MLflow review does), without the objective knowing who watches.

After the trial, watchers are Optuna callbacks (`study.optimize(..., callbacks=[...])`), handed the FrozenTrial."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import optuna

from generation.dataset import TrialManifest


class TrialHooks(Protocol):
    def trial_started(self, trial: optuna.Trial, params: dict[str, Any]) -> None:
        """The trial has its point and seeds (params: what to record about it)."""

    def dataset_ready(self, trial_dir: Path, manifest: TrialManifest) -> None:
        """The trial's dataset is complete on disk, before scoring (and before its frames are dropped)."""


class NoHooks:
    def trial_started(self, trial: optuna.Trial, params: dict[str, Any]) -> None:
        pass

    def dataset_ready(self, trial_dir: Path, manifest: TrialManifest) -> None:
        pass
