"""A study on the user's own videos: finding and splitting them, decoding real frames, poses of the train videos,
the source cameras and clean plates that make synthetic clips look like the footage."""

from generation.videos.geometry import FrameGeometry, SourceCamera

__all__ = ["FrameGeometry", "SourceCamera"]
