from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generation.poses import estimate_stature, feet_height, load_canonical
from generation.samples import SAMPLE_DIR, load_samples, sample_counts, sample_files
from testing.build_samples import SAMPLE_FPS, pelvis_height

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
