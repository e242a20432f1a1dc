"""Trial datasets in TAO's layout: splits, real renders, synthetic clips, manifest, leak and layout checks."""

from generation.dataset.assembly import DatasetError, RealRenders, assemble_trial, render_real_splits, synthetic_count
from generation.dataset.manifest import ClipRecord, LeakError, TrialManifest, check_no_leak
from generation.dataset.rendering import ClipJob, RenderSettings, render_and_write
from generation.dataset.splits import SPLITS, RealClip, SplitError, Splits, split_clips
from generation.dataset.tao_layout import LayoutError, LayoutReport, check_tao_layout

__all__ = [
    "SPLITS", "ClipJob", "ClipRecord", "DatasetError", "LayoutError", "LayoutReport", "LeakError", "RealClip",
    "RealRenders", "RenderSettings", "SplitError", "Splits", "TrialManifest", "assemble_trial", "check_no_leak",
    "check_tao_layout", "render_and_write", "render_real_splits", "split_clips", "synthetic_count",
]
