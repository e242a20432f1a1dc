"""A study on the user's own videos: finding and splitting them, decoding real frames, poses of the train videos,
the source cameras and clean plates that make synthetic clips look like the footage."""

from generation.lazy import lazy_exports
from generation.videos.geometry import FrameGeometry, SourceCamera

# Discovery probes with PyAV, ingest pulls in the dataset assembly, plates OpenCV: imported when first used.
__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(["VideoDataError", "VideoDataset", "excluded_warning", "find_video_dataset", "split_videos"],
                    "generation.videos.discover"),
    **dict.fromkeys(["VideoInfo", "VideoProbeError", "probe_video"], "generation.videos.probe"),
    **dict.fromkeys(["IngestError", "ingest_real_videos"], "generation.videos.ingest"),
    **dict.fromkeys(["LookError", "SourceLook"], "generation.videos.look"),
    **dict.fromkeys(["build_plates", "clean_plate"], "generation.videos.plates"),
})

__all__ = [
    "FrameGeometry", "IngestError", "LookError", "SourceCamera", "SourceLook", "VideoDataError", "VideoDataset",
    "VideoInfo", "VideoProbeError", "build_plates", "clean_plate", "excluded_warning", "find_video_dataset",
    "ingest_real_videos", "probe_video", "split_videos",
]  # fmt: skip
