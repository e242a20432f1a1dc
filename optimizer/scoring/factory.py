"""The scorer a study config names, ready to run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from optimizer.scoring.protocol import Scorer

if TYPE_CHECKING:
    from optimizer.config import ScorerConfig

ScorerKind = Literal["embedded", "tao", "standin"]
SCORERS: tuple[str, ...] = get_args(ScorerKind)


def make_scorer(config: ScorerConfig, *, study: str, device: str = "auto") -> Scorer:
    """For TAO its preflight (daemon, image, executable, model, key) has passed, so a setup problem is one error
    before the first trial, not three failed trials."""
    if config.kind == "tao":
        from optimizer.scoring.tao import TaoScorer

        assert config.tao is not None  # ScorerConfig fills the defaults for kind tao
        scorer = TaoScorer.from_config(config.tao, study=study)
        scorer.preflight()
        return scorer
    if config.kind == "standin":
        from optimizer.scoring.standin import StandInScorer

        return StandInScorer(config.standin_seconds)
    from optimizer.scoring.embedded import EmbeddedScorer

    return EmbeddedScorer(epochs=config.epochs, frames=config.frames, size=config.size, batch_size=config.batch_size,
                          lr=config.lr, device=device)
