"""A study on the user's own videos: finding and splitting them, decoding real frames, poses of the train videos,
the source cameras and clean plates that make synthetic clips look like the footage."""

from generation.videos.geometry import FrameGeometry, SourceCamera
from generation.videos.look import LookError, SourceLook
from generation.videos.plates import build_plates, clean_plate

__all__ = ["FrameGeometry", "LookError", "SourceCamera", "SourceLook", "build_plates", "clean_plate"]
