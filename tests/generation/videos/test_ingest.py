"""Decoding real videos into the study's frame folders: letterbox, rotation, frame rate, cache, resume after a kill,
bad inputs. Real footage (the `video_dataset` fixture) and real PyAV throughout."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generation.dataset.splits import SPLITS, RealClip, Splits
from generation.videos.discover import find_video_dataset, split_videos
from generation.videos.geometry import FrameGeometry
from generation.videos.ingest import IngestError, ingest_real_videos
from generation.videos.probe import probe_video
from testing.videos import write_video

REPO = Path(__file__).resolve().parents[3]
SIZE = 48


def frames_of(folder: Path) -> list[np.ndarray]:
    return [np.asarray(Image.open(p)) for p in sorted((folder / "rgb").iterdir())]


def decode(path: Path) -> tuple[list[np.ndarray], float]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)], float(stream.average_rate)


def one_split(*clips: RealClip) -> Splits:
    return Splits(*([c] for c in clips))


@pytest.fixture(scope="module")
def ingested(video_dataset: Path, tmp_path_factory):
    study = tmp_path_factory.mktemp("study")
    found = find_video_dataset(video_dataset, groups=video_dataset / "groups.csv")
    splits = split_videos(found)
    real = ingest_real_videos(study / "real", splits, size=SIZE, fmt="png", cache_dir=study / "cache",
                              progress=False, infos=found.infos)
    return study, splits, real


def test_tree_and_manifest(ingested) -> None:
    study, splits, real = ingested
    assert not real.from_cache and real.fps == 60.0  # the median of 5 walks at 30 and 24 trials at 60
    assert real.label_map == {"lunge": 0, "two_people": 1, "walk": 2}
    assert len(real.records) == len(splits.train + splits.val + splits.test)
    manifest = json.loads((study / "real" / "manifest.json").read_text())
    assert manifest["key"] and manifest["label_map"] == real.label_map
    for record, data in zip(real.records, manifest["records"]):
        assert (record.kind, record.view, data["group"]) == ("real", "source", record.group)
        folder = study / "real" / record.split / record.label / record.video
        names = sorted(p.name for p in (folder / "rgb").iterdir())
        assert names == [f"{i:06d}.png" for i in range(record.frames)]  # the renderer's names and format
        info = real.videos[record.source]
        assert info["width"] and info["height"] and info["kind"] == "video"
    for split in SPLITS:
        assert sorted(p.name for p in (study / "real" / split).iterdir()) == sorted(real.label_map)


def test_mixed_rates_share_one_rate(ingested) -> None:
    _, _, real = ingested
    frames = {r.label: r.frames for r in real.records}
    assert frames["walk"] == 48 and frames["lunge"] == 32  # 24 frames at 30 fps last as long as 48 at 60


def test_letterbox_portrait_and_landscape(ingested) -> None:
    study, _, real = ingested
    for label in ("lunge", "walk"):
        record = next(r for r in real.records if r.label == label)
        info = real.videos[record.source]
        geometry = FrameGeometry((info["width"], info["height"]), SIZE)
        x0, y0, w, h = geometry.content
        assert (h > w) == (label == "lunge")  # portrait content stays portrait in the square
        source, _ = decode(Path(record.source))
        for frame in frames_of(study / "real" / record.split / record.label / record.video)[:3]:
            assert frame.shape == (SIZE, SIZE, 3)
            assert not frame[~geometry.content_mask()].any()  # the bars are black
            content = frame[y0:y0 + h, x0:x0 + w].astype(float)
            assert content.mean() > 20 and content[:, 0].any() and content[0, :].any()  # the picture fills it
        # the content is the source picture, shrunk
        small = np.asarray(Image.fromarray(source[0]).resize((w, h), Image.BOX), dtype=float)
        first = frames_of(study / "real" / record.split / record.label / record.video)[0][y0:y0 + h, x0:x0 + w]
        assert np.abs(first - small).mean() < 6


def test_frame_rate_resampling(video_dataset: Path, tmp_path: Path) -> None:
    clip = RealClip(video_dataset / "lunge" / "t1_w0_cam01.mp4", "lunge", "t")
    runs = {}
    for fps in (30, 60, 45):
        real = ingest_real_videos(tmp_path / f"r{fps}", one_split(clip), size=SIZE, fps=fps, fmt="png",
                                  cache_dir=tmp_path / "cache", progress=False)
        runs[fps] = frames_of(tmp_path / f"r{fps}" / "train" / "lunge" / clip.name)
        assert real.fps == fps and real.records[0].frames == len(runs[fps])
    assert len(runs[60]) == 32 and len(runs[30]) == 16 and len(runs[45]) == 24
    for k in range(16):  # output frame k at 30 fps is source frame 2k
        assert np.array_equal(runs[30][k], runs[60][2 * k])
    for k in range(24):  # at 45 fps: the nearest source frame to k/45 s
        assert np.array_equal(runs[45][k], runs[60][min(31, int(k * 60 / 45 + 0.5))])


def test_rotated_phone_video(video_dataset: Path, tmp_path: Path) -> None:
    frames, fps = decode(video_dataset / "walk" / "street_w0.mp4")
    plain = write_video(tmp_path / "plain.mp4", frames[:6], fps)
    turned = write_video(tmp_path / "turned.mp4", frames[:6], fps, rotation=90)  # PyAV writes the display matrix
    info_plain, info = probe_video(plain), probe_video(turned)
    assert info.rotation in (90, 270) and (info.width, info.height) == (info_plain.height, info_plain.width)
    out = {}
    for name, path in (("plain", plain), ("turned", turned)):
        ingest_real_videos(tmp_path / name, one_split(RealClip(path, "walk")), size=SIZE, fmt="png",
                           cache_dir=tmp_path / "cache", progress=False)
        out[name] = frames_of(tmp_path / name / "train" / "walk" / path.stem)
    x0, y0, w, h = FrameGeometry(info.size, SIZE).content
    px0, py0, pw, ph = FrameGeometry(info_plain.size, SIZE).content
    assert h > w  # a landscape picture stored with a quarter turn is shown portrait
    for a, b in zip(out["turned"], out["plain"]):
        expected = np.rot90(b[py0:py0 + ph, px0:px0 + pw], k=info.rotation // 90)
        assert np.array_equal(a[y0:y0 + h, x0:x0 + w], expected)


def test_truncated_video_keeps_what_decodes(video_dataset: Path, tmp_path: Path) -> None:
    frames, fps = decode(video_dataset / "lunge" / "t1_w0_cam01.mp4")
    mkv = write_video(tmp_path / "whole.mkv", frames, fps, fmt="matroska")  # clusters as they come: cut keeps some
    data = mkv.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    real = ingest_real_videos(tmp_path / "real", one_split(RealClip(cut, "lunge")), size=SIZE, fps=fps, fmt="png",
                              cache_dir=tmp_path / "cache", progress=False)
    kept = real.records[0].frames
    assert 0 < kept < len(frames)
    assert real.videos[str(cut)]["frames"] == kept


def test_cache_reuse_and_new_settings(ingested) -> None:
    study, splits, real = ingested
    entries = sorted((study / "cache").iterdir())
    stamps = {p: p.stat().st_mtime_ns for p in entries}
    again = ingest_real_videos(study / "real", splits, size=SIZE, fmt="png", cache_dir=study / "cache",
                               progress=False)
    assert again.from_cache and again.records == real.records and again.videos == real.videos
    other = ingest_real_videos(study / "real30", splits, size=SIZE, fps=30, fmt="png", cache_dir=study / "cache",
                               progress=False)
    assert not other.from_cache and other.fps == 30
    assert all(p.stat().st_mtime_ns == stamps[p] for p in entries)  # old entries untouched, new ones added
    assert len(list((study / "cache").iterdir())) == 2 * len(entries)


SLOW_INGEST = """
import sys, time
from pathlib import Path
import generation.videos.ingest as ingest
from generation.videos.discover import find_video_dataset, split_videos

original = ingest._ingest_one
def slow(*args, **kwargs):  # a long ingest: time to be killed between videos
    out = original(*args, **kwargs)
    time.sleep(0.3)
    return out
ingest._ingest_one = slow
root, study = Path(sys.argv[1]), Path(sys.argv[2])
splits = split_videos(find_video_dataset(root, groups=root / "groups.csv"))
ingest.ingest_real_videos(study / "real", splits, size=48, fmt="png", cache_dir=study / "cache", progress=False)
"""


def test_resume_after_sigkill(video_dataset: Path, tmp_path: Path) -> None:
    study = tmp_path / "study"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", SLOW_INGEST, str(video_dataset), str(study)], env=env)
    cache = study / "cache"
    deadline = time.monotonic() + 120
    try:
        while not (cache.is_dir() and any((p / "video.json").is_file() for p in cache.iterdir()
                                          if not p.name.startswith("."))):
            assert proc.poll() is None, "the ingest ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finished = {p: (p / "video.json").stat().st_ino for p in cache.iterdir()
                if not p.name.startswith(".") and (p / "video.json").is_file()}
    assert finished and not (study / "real").exists()  # no half-built tree
    found = find_video_dataset(video_dataset, groups=video_dataset / "groups.csv")
    real = ingest_real_videos(study / "real", split_videos(found), size=48, fmt="png", cache_dir=cache,
                              progress=False)
    assert not real.from_cache
    for entry, inode in finished.items():  # finished videos were not decoded again
        assert (entry / "video.json").stat().st_ino == inode
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # the killed run's temporaries are swept
    for record in real.records:
        rgb = study / "real" / record.split / record.label / record.video / "rgb"
        assert len(list(rgb.iterdir())) == record.frames > 0


def _ingest_walks(root: Path, splits: Splits):
    return ingest_real_videos(root / "real", splits, size=SIZE, fmt="jpg", cache_dir=root / "cache", progress=False)


@pytest.mark.parametrize("pool", ["threads", "processes"])
def test_concurrent_callers_both_finish(video_dataset: Path, tmp_path: Path, pool: str) -> None:
    """Two callers on one study at once (workers set up by hand, or two `setup`s): both finish, with one cache."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    clips = [RealClip(p, "walk") for p in sorted((video_dataset / "walk").glob("*.mp4"))[:3]]
    splits = Splits(*([c] for c in clips))
    executor = (ThreadPoolExecutor(2) if pool == "threads"
                else ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")))
    with executor:
        results = list(executor.map(_ingest_walks, [tmp_path] * 2, [splits] * 2))
    assert results[0].records == results[1].records
    for record in results[0].records:
        assert len(list((tmp_path / "real" / record.split / record.label / record.video / "rgb").iterdir())) == 24
    assert len([p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]) == len(clips)
    assert not [p for p in tmp_path.rglob(".*")]  # no writer's temporary left, in the study or the cache


def test_bad_settings_leave_nothing(video_dataset: Path, tmp_path: Path) -> None:
    clip = RealClip(video_dataset / "walk" / "street_w0.mp4", "walk")
    for kwargs, match in (({"fps": 0}, "data.fps: must be a number > 0"), ({"size": 2}, "render.size"),
                          ({"fmt": "gif"}, "unknown frame format 'gif'")):
        with pytest.raises((IngestError, OSError), match=match) as info:
            ingest_real_videos(tmp_path / "real", one_split(clip), cache_dir=tmp_path / "cache", progress=False,
                               **{"size": SIZE, **kwargs})
        assert "\n" not in str(info.value)
    gone = tmp_path / "gone.mp4"
    shutil.copy(clip.path, gone)
    splits = one_split(RealClip(gone, "walk"))
    gone.write_bytes(b"")  # changed after discovery
    with pytest.raises(ValueError, match="gone.mp4: video: empty file"):
        ingest_real_videos(tmp_path / "real", splits, size=SIZE, cache_dir=tmp_path / "cache", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gone.mp4"]


def test_frame_folders_are_ingested_like_videos(video_dataset: Path, tmp_path: Path) -> None:
    frames, _ = decode(video_dataset / "lunge" / "t1_w0_cam01.mp4")
    folder = tmp_path / "lunge" / "take" / "rgb"
    folder.mkdir(parents=True)
    for i, frame in enumerate(frames[:10]):
        Image.fromarray(frame).save(folder / f"frame_{i}.png")  # not zero-padded: natural order
    clip = RealClip(folder.parent, "lunge")
    real = ingest_real_videos(tmp_path / "real", one_split(clip), size=SIZE, fps=15, fmt="png",
                              cache_dir=tmp_path / "cache", progress=False, folder_fps=30)
    out = frames_of(tmp_path / "real" / "train" / "lunge" / "take")
    assert real.records[0].frames == len(out) == 5 and real.videos[str(folder.parent)]["kind"] == "frames"
    geometry = FrameGeometry((frames[0].shape[1], frames[0].shape[0]), SIZE)
    x0, y0, w, h = geometry.content
    assert not out[0][~geometry.content_mask()].any()
    small = np.asarray(Image.fromarray(frames[2]).resize((w, h), Image.BOX), dtype=float)
    assert np.abs(out[1][y0:y0 + h, x0:x0 + w] - small).mean() < 3  # output frame 1 at 15 fps is frame 2 at 30
    # the folder's rate is a setting, not in its bytes: another rate is another cache entry
    again = ingest_real_videos(tmp_path / "real15", one_split(clip), size=SIZE, fps=15, fmt="png",
                               cache_dir=tmp_path / "cache", progress=False, folder_fps=15)
    assert again.records[0].frames == 10
