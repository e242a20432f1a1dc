"""Trial datasets in TAO's layout: splits, real renders, synthetic clips, manifest, leak and layout checks.

Rendering needs torch: those names are imported when first used, so the settings and checks stay light."""

from generation.dataset.manifest import ClipRecord, LeakError, TrialManifest, check_no_leak
from generation.dataset.settings import APPEARANCES, BODIES, RenderSettings
from generation.dataset.splits import SPLITS, RealClip, SplitError, Splits, split_clips
from generation.dataset.tao_layout import LayoutError, LayoutReport, check_tao_layout
from generation.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(["DatasetError", "RealRenders", "assemble_trial", "render_real_splits", "synthetic_count"],
                    "generation.dataset.assembly"),
    **dict.fromkeys(["ClipJob", "render_and_write"], "generation.dataset.rendering"),
})

__all__ = [
    "APPEARANCES", "BODIES", "SPLITS", "ClipJob", "ClipRecord", "DatasetError", "LayoutError", "LayoutReport",
    "LeakError", "RealClip", "RealRenders", "RenderSettings", "SplitError", "Splits", "TrialManifest", "assemble_trial",
    "check_no_leak", "check_tao_layout", "render_and_write", "render_real_splits", "split_clips", "synthetic_count",
]  # fmt: skip
