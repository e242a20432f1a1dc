"""The TAO scorer: each trial trains and evaluates NVIDIA TAO action_recognition (Docker, Apptainer or a local
install) and reads the result from TAO's own files."""

from optimizer.scoring.tao.config import DEFAULT_IMAGE, RUNTIMES, TaoConfig
from optimizer.scoring.tao.errors import (
    TaoError,
    TaoExitError,
    TaoNoStatus,
    TaoOutOfMemory,
    TaoReportedFailure,
    TaoResultError,
    TaoResultsDirInUse,
    TaoSpecRejected,
    TaoTimeout,
    TaoUnavailable,
)
from optimizer.scoring.tao.scorer import TaoScorer, make_runtime
from optimizer.scoring.tao.spec import SpecError

__all__ = [
    "DEFAULT_IMAGE", "RUNTIMES", "SpecError", "TaoConfig", "TaoError", "TaoExitError", "TaoNoStatus",
    "TaoOutOfMemory", "TaoReportedFailure", "TaoResultError", "TaoResultsDirInUse", "TaoScorer", "TaoSpecRejected",
    "TaoTimeout", "TaoUnavailable", "make_runtime",
]
