from __future__ import annotations

from pathlib import Path

import pytest

from generation.dataset import RealClip, SplitError, split_clips


def clips(label: str, n: int, takes: int | None = None) -> list[RealClip]:
    return [RealClip(Path(f"/data/{label}_{i:02d}.npz"), label, f"take{i % takes}" if takes else "") for i in range(n)]


def test_every_class_split_about_70_15_15_and_non_empty():
    splits = split_clips(clips("walk", 20) + clips("fall", 3) + clips("jump", 7))
    assert (splits.count("train", "walk"), splits.count("val", "walk"), splits.count("test", "walk")) == (14, 3, 3)
    for label in ("fall", "jump"):
        assert all(splits.count(s, label) >= 1 for s in ("train", "val", "test"))
    assert splits.count("train", "fall") == 1 and splits.count("train", "jump") == 5


def test_split_is_seeded_and_order_independent():
    data = clips("walk", 12)
    first, again = split_clips(data, seed=42), split_clips(list(reversed(data)), seed=42)
    assert first == again
    assert split_clips(data, seed=7) != first


def test_takes_stay_on_one_side():
    splits = split_clips(clips("jump", 12, takes=4))
    sides = {}
    for split in ("train", "val", "test"):
        for clip in splits.of(split):
            assert sides.setdefault(clip.take, split) == split
    assert all(splits.count(s, "jump") >= 1 for s in ("train", "val", "test"))


def test_class_with_fewer_than_three_clips_is_named():
    with pytest.raises(SplitError, match="class 'kick': needs at least 3 real clips for train/val/test splits, has 2"):
        split_clips(clips("walk", 5) + clips("kick", 2))
