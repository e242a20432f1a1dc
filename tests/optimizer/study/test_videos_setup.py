"""The pieces of a video study's setup that need no decoding: where its folders are and that leftovers there are
swept, the frame geometry of probed videos, person boxes in frame pixels, the short-video warning, and previews that
put a real clip beside the synthetic ones."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import optuna
import pytest
from PIL import Image

from generation.dataset import ClipRecord, TrialManifest
from generation.partials import TMP_TAG, owner_tag
from optimizer.config import StudyConfig
from optimizer.study import StudyPaths
from optimizer.study.leftovers import clean_leftovers
from optimizer.study.videos import boxes_in_frames, frame_geometry, short_videos_warning
from optimizer.tracking.previews import write_previews


def _dead_partial(folder: Path, name: str) -> Path:
    proc = subprocess.Popen(["true"])
    proc.wait()
    path = folder / f".{name}{TMP_TAG}{owner_tag(proc.pid)}0123456789ab"
    path.mkdir(parents=True)
    (path / "000000.png").write_bytes(b"half")
    past = time.time() - 7200
    os.utime(path, (past, past))
    return path


def test_a_video_study_folders_are_swept_of_dead_writers_leftovers(tmp_path):
    paths = StudyPaths.for_study("v", tmp_path / "studies")
    assert all(p.parent.parent == paths.root or p.parent == paths.root
               for p in (paths.frames_cache, paths.poses, paths.plates))
    left = [_dead_partial(folder, "clip") for folder in (paths.frames_cache, paths.poses, paths.plates)]
    kept = paths.poses / "walk_0.npz"
    kept.write_bytes(b"whole")
    study = optuna.create_study()
    removed = clean_leftovers(study, paths, keep_trial_data=False, log=lambda _: None)
    assert sorted(removed) == sorted(left) and not any(p.exists() for p in left) and kept.is_file()


@pytest.mark.parametrize(("info", "content"), [
    ({"width": 1920, "height": 1080, "rotation": 0}, (0, 14, 64, 36)),  # landscape: bars top and bottom
    ({"width": 1080, "height": 1920, "rotation": 90}, (14, 0, 36, 64)),  # a phone filmed upright: bars left and right
    ({"width": 640, "height": 640, "rotation": 0}, (0, 0, 64, 64)),
])
def test_frame_geometry_of_a_probed_video_letterboxes_its_upright_picture(info, content):
    geometry = frame_geometry(info, 64)
    assert geometry.source_size == (info["width"], info["height"]) and geometry.content == content


def test_person_boxes_land_in_frame_pixels_at_the_frames_rate():
    geometry = frame_geometry({"width": 200, "height": 100, "rotation": 0}, 100)  # scale 0.5, bars 25 px top/bottom
    pose_fps, frames_fps = 60.0, 30.0
    boxes = np.array([[10 * t, 0, 10 * t + 20, 100] for t in range(20)], dtype=float)  # moves 10 px a pose frame
    out = boxes_in_frames(boxes, geometry, pose_fps, frames_fps, frames=12)
    assert out.shape == (12, 4)
    # frame k is at t = k / 30 s, pose frame 2k (clamped to the last one)
    expected_x0 = [0.5 * 10 * min(2 * k, 19) for k in range(12)]
    np.testing.assert_allclose(out[:, 0], expected_x0)
    np.testing.assert_allclose(out[:, 1], 25.0)
    np.testing.assert_allclose(out[:, 3], 75.0)
    # a track that starts at source frame 4: frame k shows pose frame 2k - 4
    late = boxes_in_frames(boxes, geometry, pose_fps, frames_fps, frames=12, first_frame=4)
    np.testing.assert_allclose(late[:, 0], [0.5 * 10 * min(max(2 * k - 4, 0), 19) for k in range(12)])


def _config(**scorer) -> StudyConfig:
    return StudyConfig.model_validate({"name": "v", "target_class": "lunge", "scorer": scorer})


def _real(frames: dict[str, int]):
    records = [ClipRecord("train", "lunge", Path(src).stem, "real", n, "source", 0, source=src)
               for src, n in frames.items()]
    return SimpleNamespace(records=records)


def test_videos_shorter_than_the_scorer_clip_are_named_in_one_line():
    real = _real({"/d/lunge/a.mp4": 8, "/d/lunge/b.mp4": 30, "/d/walk/c.mp4": 15})
    line = short_videos_warning(_config(frames=16), real)
    assert line is not None and "\n" not in line and line.startswith("warning: ")
    assert "a.mp4" in line and "c.mp4" in line and "b.mp4" not in line and "scorer.frames 16" in line
    assert short_videos_warning(_config(frames=8), real) is None
    tao = short_videos_warning(_config(kind="tao", tao={"rgb_seq_length": 10}), real)
    assert tao is not None and "a.mp4" in tao and "c.mp4" not in tao and "rgb_seq_length" in tao


def _clip(folder: Path, frames: int, value: int) -> None:
    (folder / "rgb").mkdir(parents=True)
    for i in range(frames):
        Image.fromarray(np.full((16, 16, 3), value, np.uint8)).save(folder / "rgb" / f"{i:06d}.png")


def test_previews_of_a_video_study_put_a_real_clip_beside_the_synthetic_ones(tmp_path):
    manifest = TrialManifest({"lunge": 0, "walk": 1}, "lunge", 0.5, 1.0, "synthda", 0)
    manifest.clips += [
        ClipRecord("train", "lunge", "t1_cam01", "real", 6, "source", 0, source="/d/lunge/t1_cam01.mp4"),
        ClipRecord("train", "walk", "w0", "real", 6, "source", 0, source="/d/walk/w0.mp4"),
        ClipRecord("train", "lunge", "syn_0000_source", "synthetic", 5, "source", 0, weight=0.5),
        ClipRecord("train", "lunge", "syn_0001_front", "synthetic", 5, "front", 0, weight=0.5),
    ]
    for record, value in zip(manifest.clips, (200, 100, 50, 20)):
        _clip(tmp_path / record.split / record.label / record.video, record.frames, value)
    written = write_previews(tmp_path, manifest, 2, real=1)
    names = sorted(p.name for p in written)
    assert names == ["contact_sheet.png", "syn_0000_source.mp4", "syn_0001_front.mp4", "t1_cam01.mp4"]
    two_rows = write_previews(_copy(tmp_path, tmp_path / "q"), manifest, 2, real=0)[-1]
    three_rows = Image.open(tmp_path / "previews" / "contact_sheet.png")
    assert three_rows.height > Image.open(two_rows).height  # the real clip is a row of its own
    # a pose study (real=0, the default) previews its synthetic clips only, as before
    only_synthetic = write_previews(_copy(tmp_path, tmp_path / "p"), manifest, 2)
    assert sorted(p.name for p in only_synthetic) == ["contact_sheet.png", "syn_0000_source.mp4", "syn_0001_front.mp4"]


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src / "train", dst / "train")
    return dst


def test_unreadable_videos_are_screened_out_in_one_warning_line(tmp_path):
    """A text file named .mp4 and a zero-byte one are left out of every split, named in one line; the study goes on."""
    from fractions import Fraction

    import av

    from optimizer.study.videos import find_videos

    root = tmp_path / "videos"
    for label in ("lunge", "walk"):
        for i in range(3):
            path = root / label / f"{label}_{i}.mp4"
            path.parent.mkdir(parents=True, exist_ok=True)
            with av.open(str(path), "w", format="mp4") as container:
                stream = container.add_stream("libx264", rate=Fraction(30))
                stream.width, stream.height, stream.pix_fmt = 32, 24, "yuv420p"
                for k in range(4):
                    frame = av.VideoFrame.from_ndarray(np.full((24, 32, 3), 40 * k, np.uint8), format="rgb24")
                    for packet in stream.encode(frame):
                        container.mux(packet)
                for packet in stream.encode():
                    container.mux(packet)
    (root / "lunge" / "notes.mp4").write_text("not a video\n")
    (root / "walk" / "empty.mp4").write_bytes(b"")
    config = StudyConfig.model_validate({"name": "v", "target_class": "lunge", "data": {"videos": str(root)}})
    lines: list[str] = []
    sources = find_videos(config, log=lines.append)
    assert len(lines) == 1 and lines[0].startswith("warning: ") and "notes.mp4" in lines[0] and "empty.mp4" in lines[0]
    used = {c.path.name for split in ("train", "val", "test") for c in sources.splits.of(split)}
    assert len(used) == 6 and not used & {"notes.mp4", "empty.mp4"}
