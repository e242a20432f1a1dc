"""The extraction pipeline with a scripted estimator (fast, no MediaPipe): what is written, what is reported."""

from __future__ import annotations

import numpy as np
import pytest

from generation.extract import ExtractError, ExtractOptions, extract_videos
from generation.poses import load_poses
from testing.mediapipe_person import swinging_person


class ScriptedEstimator:
    """A person in every frame except those listed per video (by frame index since the last reset)."""

    name = "scripted"
    version = "1"
    settings: dict = {}

    def __init__(self, missing: set[int] = frozenset()) -> None:
        self.missing = set(missing)
        self.frame = 0
        self.resets = 0
        self.closed = False

    def reset(self) -> None:
        self.frame = 0
        self.resets += 1

    def __call__(self, rgb: np.ndarray) -> np.ndarray | None:
        t = self.frame
        self.frame += 1
        return None if t in self.missing else swinging_person(t)

    def close(self) -> None:
        self.closed = True


def test_writes_canonical_npz_with_label_fps_and_provenance(tmp_path, videos):
    videos.grey(tmp_path / "in" / "wave" / "clip.mp4", frames=20)
    estimator = ScriptedEstimator(missing={0, 7, 8})
    options = ExtractOptions(max_gap=3, smooth_seconds=0)
    rows = extract_videos(tmp_path / "in", tmp_path / "out", options, progress=False,
                          estimator_factory=lambda _: estimator)
    (row,) = rows
    assert (row.status, row.frames, row.detected_frames, row.gaps_filled, row.kept_frames) == ("ok", 20, 17, 1, 19)
    assert row.reason == "kept frames 1-19 of 0-19"
    assert estimator.resets == 1 and estimator.closed
    seq = load_poses(tmp_path / "out" / "wave" / "clip.npz")
    assert seq.label == "wave" and seq.fps == 30.0 and seq.joints.shape == (19, 22, 3) and seq.joint_set == "smpl22"
    assert np.allclose(seq.joints[:, 0], 0.0)  # root-relative, like StridedTransformer input
    meta = seq.meta
    assert meta["source_video"].endswith("clip.mp4") and meta["extractor"] == "scripted"
    assert meta["frame_range"] == [1, 20] and meta["filled_frames"] == [[6, 8]] and meta["gaps_filled"] == 1
    assert meta["detection_rate"] == pytest.approx(17 / 20)
    # frames 6 and 7 of the clip (source 7, 8) had no person: a straight line between clip frames 5 and 8
    j = seq.joints.astype(np.float64)
    assert np.allclose(j[6], (2 * j[5] + j[8]) / 3, atol=1e-6) and np.allclose(j[7], (j[5] + 2 * j[8]) / 3, atol=1e-6)
    assert not np.allclose(j[5], j[8])


def test_video_with_too_few_detections_is_skipped(tmp_path, videos):
    videos.grey(tmp_path / "in" / "wave" / "rare.mp4", frames=10)
    rows = extract_videos(tmp_path / "in", tmp_path / "out", progress=False,
                          estimator_factory=lambda _: ScriptedEstimator(missing={0, 1, 2, 3, 4, 5}))
    (row,) = rows
    assert row.status == "skipped" and row.detected_frames == 4
    assert row.reason == "person detected in 40% of frames (< 60%, --min-detection)"
    assert not (tmp_path / "out" / "wave" / "rare.npz").exists()


def test_long_gap_cuts_the_clip(tmp_path, videos):
    videos.grey(tmp_path / "in" / "wave" / "cut.mp4", frames=30)
    rows = extract_videos(tmp_path / "in", tmp_path / "out", ExtractOptions(max_gap=2, min_detection=0.5),
                          progress=False, estimator_factory=lambda _: ScriptedEstimator(missing={5, 6, 7, 8}))
    (row,) = rows
    assert row.status == "ok" and row.kept_frames == 21 and "cut at 1 gap(s) > 2 frames" in row.reason


def test_frame_folder_uses_the_folder_fps(tmp_path, videos):
    from PIL import Image

    rgb = tmp_path / "in" / "wave" / "v1" / "rgb"
    rgb.mkdir(parents=True)
    for i in range(12):
        Image.new("RGB", (32, 24), (i, i, i)).save(rgb / f"{i:06d}.jpg")
    rows = extract_videos(tmp_path / "in", tmp_path / "out", ExtractOptions(folder_fps=24.0), progress=False,
                          estimator_factory=lambda _: ScriptedEstimator())
    assert [(r.video, r.status, r.frames) for r in rows] == [("v1/", "ok", 12)]
    assert load_poses(tmp_path / "out" / "wave" / "v1.npz").fps == 24.0


def test_two_videos_with_one_output_name(tmp_path, videos):
    videos.grey(tmp_path / "in" / "wave" / "a.mp4", frames=10)
    videos.grey(tmp_path / "in" / "wave" / "a.mov", frames=10)
    rows = extract_videos(tmp_path / "in", tmp_path / "out", progress=False,
                          estimator_factory=lambda _: ScriptedEstimator())
    assert [(r.video, r.status, r.reason) for r in rows] == [
        ("a.mov", "ok", ""), ("a.mp4", "error", "same output a.npz as a.mov (rename one)"),
    ]


def test_options_are_checked():
    with pytest.raises(ExtractError, match=r"--min-detection: must be in \[0, 1\], got 1.5"):
        ExtractOptions(min_detection=1.5)
    with pytest.raises(ExtractError, match="--max-frames"):
        ExtractOptions(max_frames=1)
