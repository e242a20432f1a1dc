"""Temporal alignment and blending of pose pairs."""

from generation.blend.align import resample_fps, stretch
from generation.blend.methods import BLEND_METHODS, SYNTHDA_ALPHA, blend, check_weights
from generation.blend.pairs import MIX_MODES, AlignedPair, align_pair, blend_pairs

__all__ = [
    "BLEND_METHODS", "MIX_MODES", "SYNTHDA_ALPHA", "AlignedPair", "align_pair", "blend", "blend_pairs", "check_weights",
    "resample_fps", "stretch",
]
