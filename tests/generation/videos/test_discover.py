"""Finding, screening and splitting a user's videos: the real footage of the `video_dataset` fixture."""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from generation.dataset.splits import SPLITS
from generation.videos.discover import VideoDataError, excluded_warning, find_video_dataset, split_videos


@pytest.fixture
def dataset(video_dataset: Path, tmp_path: Path) -> Path:
    """A private copy of the footage that a test may change."""
    return Path(shutil.copytree(video_dataset, tmp_path / "videos"))


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def one_line_error(root: Path, match: str, **kwargs) -> str:
    before = listing(root)
    with pytest.raises(VideoDataError, match=match) as info:
        find_video_dataset(root, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert listing(root) == before  # discovery writes nothing
    return message


def test_class_folders_found_with_mixed_sizes_and_rates(video_dataset: Path) -> None:
    found = find_video_dataset(video_dataset)
    counts = defaultdict(int)
    for clip in found.clips:
        counts[clip.label] += 1
        assert clip.path.is_file() and clip.take == clip.path.relative_to(video_dataset).as_posix()
    assert dict(counts) == {"lunge": 12, "two_people": 12, "walk": 5}
    assert found.presplit is None and found.excluded == {} and excluded_warning(found.excluded) is None
    walk = found.infos[str(video_dataset / "walk" / "street_w0.mp4")]
    lunge = found.infos[str(video_dataset / "lunge" / "t1_w0_cam01.mp4")]
    assert walk.width > walk.height and lunge.height > lunge.width  # landscape and portrait
    assert (walk.fps, lunge.fps) == (30.0, 60.0)


def test_split_70_15_15_per_class(video_dataset: Path) -> None:
    splits = split_videos(find_video_dataset(video_dataset), seed=42)
    # each video its own group: walk 5 -> 3/1/1, lunge 12 -> 8/2/2
    assert [splits.count(s, "walk") for s in SPLITS] == [3, 1, 1]
    assert [splits.count(s, "lunge") for s in SPLITS] == [8, 2, 2]
    assert split_videos(find_video_dataset(video_dataset), seed=42) == splits  # seeded


def test_groups_keep_the_views_of_a_take_on_one_side(video_dataset: Path) -> None:
    found = find_video_dataset(video_dataset, groups=video_dataset / "groups.csv")
    for seed in (0, 1, 42):
        splits = split_videos(found, seed=seed)
        side: dict[str, set[str]] = defaultdict(set)
        for split in SPLITS:
            for clip in splits.of(split):
                side[clip.take].add(split)
        assert all(len(s) == 1 for s in side.values()), side
        views = defaultdict(int)
        for clip in splits.train + splits.val + splits.test:
            views[clip.take] += 1
        assert views["lunge:trial1_w0"] == 4 and views["two_people:trial2_w2"] == 4
        for label in ("lunge", "two_people", "walk"):
            assert all(splits.count(s, label) for s in SPLITS)


def test_classes_filter(video_dataset: Path) -> None:
    found = find_video_dataset(video_dataset, classes=["walk", "lunge"])
    assert found.classes() == ["lunge", "walk"]
    one_line_error(video_dataset, "class 'fall' has no folder", classes=["fall"])


def test_frame_folders_found(dataset: Path, tmp_path: Path) -> None:
    from PIL import Image

    from generation.extract.sources import VideoSource, open_frames

    root = tmp_path / "frames"
    for label in ("lunge", "walk"):
        for video in sorted((dataset / label).glob("*.mp4"))[:3]:
            rgb_dir = root / label / video.stem / "rgb"
            rgb_dir.mkdir(parents=True)
            _, frames = open_frames(VideoSource(video, label, video.stem, "video"), max_frames=3)
            for i, frame in enumerate(frames):
                Image.fromarray(frame).save(rgb_dir / f"{i:06d}.jpg")
    found = find_video_dataset(root, folder_fps=25)
    assert len(found.clips) == 6
    clip = found.clips[0]
    assert clip.path.is_dir() and (clip.path / "rgb").is_dir()
    info = found.infos[str(clip.path)]
    assert (info.kind, info.frames, info.fps) == ("frames", 3, 25.0)


def test_presplit_is_used_exactly(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "presplit"
    chosen = {}
    for label in ("lunge", "walk"):
        videos = sorted((dataset / label).glob("*.mp4"))
        for split, video in zip(SPLITS, [videos[0], videos[3], videos[4]]):
            (root / split / label).mkdir(parents=True, exist_ok=True)
            shutil.copy(video, root / split / label / video.name)
            chosen.setdefault(split, set()).add((label, video.stem))
    found = find_video_dataset(root)
    splits = split_videos(found, seed=7)
    assert splits is found.presplit
    for split in SPLITS:
        assert {(c.label, c.name) for c in splits.of(split)} == chosen[split]


def test_presplit_test_lacking_a_class(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "presplit"
    for split in SPLITS:
        for label in ("lunge", "walk"):
            if split == "test" and label == "walk":
                continue
            (root / split / label).mkdir(parents=True)
            shutil.copy(next((dataset / label).glob("*.mp4")), root / split / label / "a.mp4")
    message = one_line_error(root, "split 'test' has no usable video of class 'walk'")
    assert message.startswith(f"{root / 'test'}: data.videos:")


def write_audio_only(path: Path) -> None:
    import av
    import numpy as np

    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100)
        for i in range(5):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def test_unreadable_videos_are_excluded_not_fatal(dataset: Path) -> None:
    walk = dataset / "walk"
    (walk / "empty.mp4").write_bytes(b"")
    (walk / "notes.mp4").write_text("this is not a video\n")
    data = (walk / "street_w0.mp4").read_bytes()
    (walk / "cut.mp4").write_bytes(data[: len(data) // 3])  # moov atom at the end: nothing decodes
    write_audio_only(walk / "sound.mp4")
    found = find_video_dataset(dataset)
    assert sorted(Path(p).name for p in found.excluded) == ["cut.mp4", "empty.mp4", "notes.mp4", "sound.mp4"]
    assert found.excluded[str(walk / "sound.mp4")] == "no video stream in this file"
    assert "0 bytes" in found.excluded[str(walk / "empty.mp4")]
    assert all("\n" not in reason for reason in found.excluded.values())
    warning = excluded_warning(found.excluded)
    assert warning is not None and "\n" not in warning and "notes.mp4" in warning and "4 unreadable" in warning
    assert {c.name for c in found.clips if c.label == "walk"} == {f"street_w{i}" for i in range(5)}
    split_videos(found)  # the rest still splits


def test_class_with_fewer_than_three_usable_videos(dataset: Path) -> None:
    for name in ("street_w2", "street_w3", "street_w4"):
        (dataset / "walk" / f"{name}.mp4").unlink()
    message = one_line_error(dataset, "class 'walk' has 2 usable video")
    assert message.startswith(f"{dataset / 'walk'}: data.videos:") and "at least 3" in message
    (dataset / "walk" / "broken.mp4").write_bytes(b"")  # an unreadable third does not count
    one_line_error(dataset, "class 'walk' has 2 usable video")


def test_groups_csv_errors(dataset: Path) -> None:
    csv = dataset / "groups.csv"
    one_line_error(dataset, "data.groups: does not exist", groups=dataset / "nope.csv")
    rows = csv.read_text().splitlines()
    csv.write_text("\n".join(rows[1:]) + "\n")
    one_line_error(dataset, "line 1: header must be 'video,group'", groups=csv)
    csv.write_text("\n".join([*rows, "walk/ghost.mp4,g9"]) + "\n")
    message = one_line_error(dataset, f"line {len(rows) + 1}: video 'walk/ghost.mp4' is not a video of", groups=csv)
    assert message.startswith(f"{csv}: data.groups:")
    # bare names work when unique; walk in two groups cannot be split keeping groups apart
    csv.write_text("video,group\n" + "".join(f"street_w{i}.mp4,g{i % 2}\n" for i in range(5)))
    one_line_error(dataset, "class 'walk': its 5 videos form 2 group", groups=csv)


def test_duplicate_names_in_a_class(dataset: Path) -> None:
    shutil.copy(dataset / "walk" / "street_w0.mp4", dataset / "walk" / "street_w0.avi")
    message = one_line_error(dataset, "have the same name 'street_w0'")
    assert "street_w0.avi" in message and "street_w0.mp4" in message


def test_missing_root_and_no_videos(tmp_path: Path) -> None:
    with pytest.raises(VideoDataError, match="data.videos: does not exist"):
        find_video_dataset(tmp_path / "nope")
    (tmp_path / "empty" / "walk").mkdir(parents=True)
    one_line_error(tmp_path / "empty", "data.videos: no videos found")


def test_presplit_group_on_both_sides(dataset: Path, tmp_path: Path) -> None:
    root = tmp_path / "presplit"
    for split in SPLITS:
        (root / split / "walk").mkdir(parents=True)
        shutil.copy(dataset / "walk" / "street_w0.mp4", root / split / "walk" / f"{split}_a.mp4")
    csv = tmp_path / "groups.csv"
    csv.write_text("video,group\ntrain/walk/train_a.mp4,take1\ntest_a,take1\n")
    message = one_line_error(root, "group 'walk:take1' has videos in both train and test", groups=csv)
    assert message.startswith(f"{csv}: data.groups:")
