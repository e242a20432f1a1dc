"""Groups (the recordings a split keeps together) in the manifest and the leak check, and strict takes in splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generation.dataset import ClipRecord, LeakError, TrialManifest, check_no_leak
from generation.dataset.splits import RealClip, SplitError, split_clips


def real(split: str, video: str, group: str, label: str = "lunge") -> ClipRecord:
    return ClipRecord(split=split, label=label, video=video, kind="real", frames=8, view="source", seed=0,
                      source=f"/data/{label}/{video}.mp4", group=group)


def synthetic(pair: tuple[str, str], group: str = "") -> ClipRecord:
    return ClipRecord(split="train", label="lunge", video="syn_0000", kind="synthetic", frames=8, view="front",
                      seed=0, pair=pair, weight=0.5, method="slerp", group=group)


def manifest(*clips: ClipRecord) -> TrialManifest:
    return TrialManifest({"lunge": 0}, "lunge", 0.5, 1.0, "slerp", 0, list(clips))


def test_clean_grouped_manifest_passes() -> None:
    check_no_leak(manifest(real("train", "a1", "g1"), real("train", "a2", "g1"), real("test", "b1", "g2"),
                           synthetic(("/data/lunge/a1.mp4", "/data/lunge/a2.mp4"), "g1")))


def test_a_group_in_two_splits_is_a_leak() -> None:
    with pytest.raises(LeakError, match="group 'g1': real clips in both train .* and test"):
        check_no_leak(manifest(real("train", "a1", "g1"), real("test", "a2", "g1")))


def test_synthetic_clip_from_a_held_out_group_is_a_leak() -> None:
    clips = (real("train", "a1", "g1"), real("val", "b1", "g2"))
    with pytest.raises(LeakError, match="made from group 'g2', which has the val clip lunge/b1"):
        check_no_leak(manifest(*clips, synthetic(("/pose/a1.npz", "/pose/x.npz"), "g1,g2")))


def test_manifest_json_without_group_is_unchanged_and_loadable(tmp_path: Path) -> None:
    plain = real("train", "a1", "")
    assert "group" not in plain.to_dict()  # pose studies' manifests stay byte-identical
    m = manifest(plain, real("test", "b1", "g2"))
    m.write(tmp_path)
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert "group" not in data["clips"][0] and data["clips"][1]["group"] == "g2"
    assert TrialManifest.read(tmp_path).clips == m.clips


def test_strict_takes_refuses_the_clip_by_clip_fallback() -> None:
    clips = [RealClip(Path(f"/v/walk/c{i}.mp4"), "walk", take=f"t{i % 2}") for i in range(6)]
    loose = split_clips(clips, seed=42)  # default unchanged: two takes, split clip by clip
    assert all(loose.count(s, "walk") for s in ("train", "val", "test"))
    with pytest.raises(SplitError, match="class 'walk': its 6 clips form 2 groups"):
        split_clips(clips, seed=42, strict_takes=True)
