"""Scorers: train an action recogniser on a trial dataset and score it on test (the optimiser's objective)."""

from optimizer.scoring.embedded import EmbeddedScorer
from optimizer.scoring.protocol import (
    METRICS,
    Scorer,
    ScoreResult,
    ScoringError,
    ScoringPruned,
    TrialDataset,
)

__all__ = ["METRICS", "EmbeddedScorer", "ScoreResult", "Scorer", "ScoringError", "ScoringPruned", "TrialDataset"]
