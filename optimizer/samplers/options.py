"""The finite-difference searches' options: one pydantic model each, used as is by the study config
(search.legacy, search.spsa) and by the sampler, so an option exists in one place only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegacyOptions(_Options):
    """SynthDa's calculate_new_weight: start, step, tol and max_iter are the original's; ratio is held fixed (the
    original had no ratio), None meaning the middle of the ratio range."""

    start: float = Field(default=0.5, ge=0.0, le=1.0)
    step: float = Field(default=0.1, gt=0.0, le=1.0)
    tol: float = Field(default=1e-3, gt=0.0)
    max_iter: int = Field(default=20, ge=1)
    ratio: float | None = Field(default=None, ge=0.0)


class SpsaOptions(_Options):
    """SPSA over the normalised box (each searched range mapped to [0, 1]). init: points of a Latin hypercube first,
    then SPSA from the best (init 0: from start, raw (weight, ratio); None: the middle of the box). step and probe are
    fractions of each range: a_k = step (1 + A)^alpha / (k + 1 + A)^alpha, c_k = probe / (k + 1)^gamma (Spall's alpha
    0.602, gamma 0.101, A = stability); each coordinate moves at most max_step. ratio set: held fixed and the weight
    searched alone. max_iter None: until the trial budget. average: recommend the mean of the last half of the
    iterates (steadier under noise) rather than the last one."""

    init: int = Field(default=4, ge=0)
    step: float = Field(default=0.1, gt=0.0, le=1.0)
    probe: float = Field(default=0.1, gt=0.0, le=0.5)
    repeats: int = Field(default=1, ge=1)
    max_iter: int | None = Field(default=None, ge=1)
    alpha: float = Field(default=0.602, gt=0.0)
    gamma: float = Field(default=0.101, ge=0.0)
    stability: float = Field(default=2.0, ge=0.0)
    max_step: float = Field(default=0.25, gt=0.0, le=1.0)
    start: tuple[float, float] | None = None
    ratio: float | None = Field(default=None, ge=0.0)
    average: bool = True
