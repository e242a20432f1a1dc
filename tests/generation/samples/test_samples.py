from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from generation.poses import estimate_stature, feet_height, load_canonical
from generation.samples import SAMPLE_DIR, load_samples, sample_counts, sample_files
from testing.build_samples import SAMPLE_FPS, build_samples, cut, hop_peaks, pelvis_height

MOCAP = Path(os.environ.get("AUTOSYNTHDA_SHARED", Path(__file__).resolve().parents[3].parent / "shared")) / "mocap"
needs_mocap = pytest.mark.skipif(not (MOCAP / "bvh").is_dir(), reason=f"shared mocap not present at {MOCAP}")

FILES = sample_files()
META_KEYS = {"take", "start_s", "end_s", "reversed", "licence"}


def standing_frames(seq) -> np.ndarray:
    """Frames where the subject is upright: head at least 0.8 x stature above the floor, and not airborne (pelvis at
    most 5 cm above its clip median height among the upright frames, which drops the flight phase of hops)."""
    head = seq.floor_y - seq.joints[:, 15, 1]
    upright = head >= 0.8 * estimate_stature(seq)
    if not upright.any():
        return upright
    pelvis = pelvis_height(seq)
    return upright & (pelvis <= np.median(pelvis[upright]) + 0.05)


def test_samples_are_bundled() -> None:
    assert len(FILES) >= 20
    total = sum(path.stat().st_size for path in SAMPLE_DIR.glob("*"))
    assert total < 3_000_000


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_sample_loads_with_plausible_anatomy(path: Path) -> None:
    seq = load_canonical(path)
    assert seq.label and path.stem.startswith(seq.label + "_")
    assert seq.joint_set == "smpl22" and seq.joints.dtype == np.float32
    assert seq.fps == SAMPLE_FPS
    assert META_KEYS <= set(seq.meta)
    assert seq.meta["end_s"] > seq.meta["start_s"]
    assert "test only" not in seq.meta["licence"] and "mocapbank" not in seq.meta["take"]
    assert seq.floor_y is not None
    assert 1.4 <= estimate_stature(seq) <= 2.1
    stand = standing_frames(seq)
    assert stand.sum() >= 3, "every clip has some upright frames (falls start or end upright)"
    feet = feet_height(seq)
    # Some upright frame has a foot joint (a few cm above the sole) on the floor, and nothing sinks through it.
    assert np.abs(feet[stand]).min() <= 0.10
    assert feet.min() > -0.05
    if seq.label != "run":
        # Upright, not airborne: the lowest foot joint is within 15 cm of the floor in all but a few stepping frames.
        # Running is left out: its flight phases (both feet up, pelvis barely higher) are a third of the stride.
        assert np.mean(np.abs(feet[stand]) <= 0.15) >= 0.9


@pytest.mark.parametrize("path", [p for p in FILES if p.stem.startswith("fall_")], ids=lambda p: p.stem)
def test_fall_clips_end_lower_than_they_start(path: Path) -> None:
    h = pelvis_height(load_canonical(path))
    assert h[:5].mean() > 0.6
    assert h[-5:].mean() < 0.3
    assert h[:5].mean() - h[-5:].mean() > 0.4


def test_class_counts() -> None:
    counts = sample_counts()
    assert counts["fall"] >= 3
    assert "sit" not in counts  # the test-only source is never vendored
    for label in ("walk", "jump", "punch", "kick", "run"):
        assert counts.get(label, 0) >= 1
    assert sum(counts.values()) == len(load_samples())


def test_takes_are_recorded_for_splitting() -> None:
    takes: dict[str, set[str]] = {}
    for seq in load_samples():
        takes.setdefault(seq.label, set()).add(seq.meta["take"])
    # fall comes from three different takes (Boxing_Toes and both DeepMimic get-ups).
    assert len(takes["fall"]) >= 3


def test_cut_resamples_reverses_and_recentres() -> None:
    from generation.poses.sequence import PoseSequence

    t = np.arange(121) / 120.0  # 1 s at 120 fps, pelvis rising linearly by 1 m
    joints = np.zeros((121, 22, 3), dtype=np.float32)
    joints[:, :, 1] = -t[:, None]
    seq = PoseSequence(joints=joints, fps=120.0, floor_y=0.0)
    out = cut(seq, 0.5, None)
    assert out.num_frames == 16 and out.fps == SAMPLE_FPS
    np.testing.assert_allclose(out.joints[:, 0, 1] - out.joints[0, 0, 1], -(np.arange(16) / 30.0), atol=1e-6)
    assert out.floor_y - out.joints[0, 0, 1] == pytest.approx(0.5, abs=1e-6)
    rev = cut(seq, 0.0, 1.0, reverse=True)
    assert rev.floor_y - rev.joints[0, 0, 1] == pytest.approx(1.0, abs=1e-6)
    assert rev.floor_y - rev.joints[-1, 0, 1] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(np.median(rev.joints[0], axis=0), 0.0, atol=1e-6)


@needs_mocap
def test_build_with_test_only_sources_makes_sit_clips(tmp_path: Path) -> None:
    clips = build_samples(MOCAP, tmp_path, include_test_only=True)
    sit = [c for c in clips if c.label == "sit"]
    assert len(sit) == 2
    assert {c.take for c in sit} == {"test_mocapbank"}
    for clip in sit:
        seq = load_canonical(clip.path)
        h = pelvis_height(seq)
        assert h[0] > 0.85 and 0.35 < h[-1] < 0.6  # standing to seated on a chair
    assert sample_counts(tmp_path)["fall"] >= 3


@needs_mocap
def test_rebuild_matches_the_bundled_set(tmp_path: Path) -> None:
    clips = build_samples(MOCAP, tmp_path)
    assert sorted(c.path.name for c in clips) == [p.name for p in FILES]
    for clip in clips:
        np.testing.assert_allclose(load_canonical(clip.path).joints, load_canonical(SAMPLE_DIR / clip.path.name).joints,
                                   atol=1e-5)  # fmt: skip


@needs_mocap
def test_hops_are_found_on_cmu_01_01() -> None:
    from generation.poses.bvh import load_bvh

    peaks = hop_peaks(load_bvh(MOCAP / "bvh" / "01_01.bvh"))
    assert len(peaks) == 10
    assert all(b - a > 1.0 for a, b in zip(peaks, peaks[1:], strict=False))
