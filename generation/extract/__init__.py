"""From the user's videos (or other estimators' output) to a pose bank: offline 3D pose extraction with MediaPipe
Pose, imports of StridedTransformer / HumanML3D / BVH folders, and the per-video report both write."""

from generation.extract.importer import IMPORT_FORMATS, find_pose_files, import_poses
from generation.extract.landmarks import MEDIAPIPE33_NAMES, mediapipe33_to_h36m17, mediapipe33_to_smpl22
from generation.extract.pipeline import ExtractOptions, extract_one, extract_videos
from generation.extract.report import (
    COLUMNS,
    ExtractError,
    ReportRow,
    format_table,
    read_report,
    require_success,
    summary,
    write_report,
)
from generation.extract.sources import VideoSource, find_videos, open_frames
from generation.extract.temporal import Track, build_track, smooth

__all__ = [
    "COLUMNS", "IMPORT_FORMATS", "MEDIAPIPE33_NAMES", "ExtractError", "ExtractOptions", "ReportRow", "Track",
    "VideoSource", "build_track", "extract_one", "extract_videos", "find_pose_files", "find_videos", "format_table",
    "import_poses", "mediapipe33_to_h36m17", "mediapipe33_to_smpl22", "open_frames", "read_report",
    "require_success", "smooth", "summary", "write_report",
]
