"""The sample builder (testing/build_samples.py): cutting takes, and the bundled set rebuilt from ../shared/mocap."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from generation.poses import load_canonical
from generation.samples import SAMPLE_DIR, sample_counts, sample_files
from testing.build_samples import SAMPLE_FPS, build_samples, cut, hop_peaks, pelvis_height

MOCAP = Path(os.environ.get("AUTOSYNTHDA_SHARED", Path(__file__).resolve().parents[2].parent / "shared")) / "mocap"
needs_mocap = pytest.mark.skipif(not (MOCAP / "bvh").is_dir(), reason=f"shared mocap not present at {MOCAP}")

FILES = sample_files()


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
