"""The embedded scorer: a small R(2+1)D net trained in-process with torch, for machines without a GPU or Docker."""

from optimizer.scoring.embedded.data import VideoSplit, list_videos, load_split
from optimizer.scoring.embedded.model import R2Plus1DNet, parameter_count
from optimizer.scoring.embedded.scorer import EmbeddedScorer

__all__ = ["EmbeddedScorer", "R2Plus1DNet", "VideoSplit", "list_videos", "load_split", "parameter_count"]
