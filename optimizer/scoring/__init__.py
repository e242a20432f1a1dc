"""Scorers: train an action recogniser on a trial dataset and score it on test (the optimiser's objective).
The embedded scorer needs torch: it is imported when first used."""

from generation.lazy import lazy_exports
from optimizer.scoring.factory import SCORERS, make_scorer
from optimizer.scoring.protocol import (
    METRICS,
    Scorer,
    ScoreResult,
    ScoringError,
    ScoringPruned,
    TrialDataset,
)

__getattr__, __dir__ = lazy_exports(__name__, {"EmbeddedScorer": "optimizer.scoring.embedded"})

__all__ = ["METRICS", "SCORERS", "EmbeddedScorer", "ScoreResult", "Scorer", "ScoringError", "ScoringPruned",
           "TrialDataset", "make_scorer"]
