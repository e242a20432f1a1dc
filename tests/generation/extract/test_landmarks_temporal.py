"""The MediaPipe -> H36M-17 -> SMPL-22 mapping and the temporal clean-up (cut, fill, reject, smooth)."""

from __future__ import annotations

import numpy as np
import pytest

from generation.extract.landmarks import HEAD_EXTENSION, LIMBS, MEDIAPIPE33_NAMES, mediapipe33_to_h36m17
from generation.extract.landmarks import mediapipe33_to_smpl22 as to_smpl22
from generation.extract.temporal import build_track, implausible_frames, runs, smooth, smoothing_window
from generation.poses import H36M17_NAMES, SMPL22_NAMES, h36m17_to_smpl22

MP = {name: i for i, name in enumerate(MEDIAPIPE33_NAMES)}


def standing_person() -> np.ndarray:
    """(33, 3) landmarks of a person facing the camera in the canonical frame (y down), hips centred."""
    pts = np.zeros((33, 3))
    for side, x in (("left", 0.1), ("right", -0.1)):  # facing the camera: the subject's left is on image right
        pts[MP[f"{side}_hip"]] = (x, 0.0, 0.0)
        pts[MP[f"{side}_knee"]] = (x, 0.42, 0.0)
        pts[MP[f"{side}_ankle"]] = (x, 0.82, 0.0)
        pts[MP[f"{side}_shoulder"]] = (1.8 * x, -0.5, 0.0)
        pts[MP[f"{side}_elbow"]] = (2.0 * x, -0.22, 0.0)
        pts[MP[f"{side}_wrist"]] = (2.1 * x, 0.02, 0.0)
        pts[MP[f"{side}_ear"]] = (0.7 * x, -0.68, 0.02)
    pts[MP["nose"]] = (0.0, -0.66, -0.1)
    return pts


def test_names_match_mediapipe_order():
    mp = pytest.importorskip("mediapipe")
    assert MEDIAPIPE33_NAMES == tuple(lm.name.lower() for lm in mp.solutions.pose.PoseLandmark)


def test_h36m_mapping_choices():
    pts = standing_person() + np.array([0.3, -0.2, 2.0])  # off-centre: the mapping makes it pelvis-relative
    h36m = mediapipe33_to_h36m17(pts)
    name = {n: i for i, n in enumerate(H36M17_NAMES)}
    assert np.allclose(h36m[name["pelvis"]], 0.0)
    centred = pts - (pts[MP["left_hip"]] + pts[MP["right_hip"]]) / 2
    assert np.allclose(h36m[name["l_hip"]], centred[MP["left_hip"]])
    assert np.allclose(h36m[name["r_wrist"]], centred[MP["right_wrist"]])
    thorax = (centred[MP["left_shoulder"]] + centred[MP["right_shoulder"]]) / 2
    assert np.allclose(h36m[name["thorax"]], thorax)
    assert np.allclose(h36m[name["spine"]], thorax / 2)
    ears = (centred[MP["left_ear"]] + centred[MP["right_ear"]]) / 2
    assert np.allclose(h36m[name["head"]], ears + HEAD_EXTENSION * (ears - thorax))
    assert h36m[name["head"], 1] < ears[1] < thorax[1]  # y down: the head joint is the highest


def test_smpl22_goes_through_the_strided_mapping():
    pts = np.stack([standing_person(), standing_person() * 1.1])
    smpl = to_smpl22(pts)
    assert smpl.shape == (2, 22, 3) and smpl.dtype == np.float64
    assert np.array_equal(smpl, h36m17_to_smpl22(mediapipe33_to_h36m17(pts)))
    idx = {n: i for i, n in enumerate(SMPL22_NAMES)}
    assert smpl[0, idx["l_wrist"], 0] > 0 > smpl[0, idx["r_wrist"], 0]  # left on image right, facing the camera
    assert smpl[0, idx["head"], 1] < smpl[0, idx["pelvis"], 1] < smpl[0, idx["l_ankle"], 1]


def test_mapping_rejects_wrong_shape():
    with pytest.raises(ValueError, match="33, 3"):
        mediapipe33_to_h36m17(np.zeros((5, 17, 3)))


def test_runs():
    assert runs(np.array([0, 1, 1, 0, 1], dtype=bool)) == [(1, 3), (4, 5)]
    assert runs(np.zeros(3, dtype=bool)) == []


def test_track_trims_ends_and_fills_short_gaps_linearly():
    t = np.arange(12, dtype=float)
    points = np.repeat(t[:, None, None], 3, axis=2) * np.ones((12, 2, 3))
    detected = np.ones(12, dtype=bool)
    detected[[0, 1, 5, 6, 11]] = False
    points[~detected] = np.nan
    track = build_track(points, detected, max_gap=2)
    assert (track.start, track.stop) == (2, 11)
    assert track.filled == ((3, 5),) and track.gaps_filled == 1 and track.frames_filled == 2
    assert np.allclose(track.points[:, 0, 0], t[2:11])  # a straight line is filled exactly
    assert np.isfinite(track.points).all() and track.cut_gaps == 0


def test_track_cuts_at_long_gaps_and_keeps_the_longest_piece():
    detected = np.array([1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1], dtype=bool)
    points = np.zeros((14, 1, 3))
    track = build_track(points, detected, max_gap=3)
    assert (track.start, track.stop) == (7, 14) and track.cut_gaps == 1 and track.filled == ((5, 6),)
    assert build_track(points, np.zeros(14, dtype=bool), max_gap=3) is None


def test_implausible_frames_flag_a_stretched_limb():
    points = np.repeat(standing_person()[None], 10, axis=0)
    points[4, MP["left_knee"], 1] += 0.3  # thigh 0.42 -> 0.72 m
    detected = np.ones(10, dtype=bool)
    detected[7] = False
    points[7] = np.nan
    bad = implausible_frames(points, detected, tuple(LIMBS.values()), tolerance=0.3)
    assert bad.tolist() == [i == 4 for i in range(10)]
    assert not implausible_frames(points, detected, tuple(LIMBS.values()), tolerance=0).any()


def test_smoothing_window_and_effect():
    assert smoothing_window(30, 0.2, 100) == 5 and smoothing_window(60, 0.2, 100) == 11
    assert smoothing_window(30, 0.5, 8) == 7 and smoothing_window(30, 0.2, 3) == 0 and smoothing_window(30, 0, 99) == 0
    t = np.linspace(0, 1, 40)
    parabola = np.stack([t, t**2, -t], axis=-1)[:, None, :]
    assert np.allclose(smooth(parabola, 30, 0.3), parabola)  # polyorder 2 keeps a parabola (a fall) intact
    noisy = parabola + np.random.default_rng(0).normal(scale=0.01, size=parabola.shape)
    assert np.abs(smooth(noisy, 30, 0.3) - parabola).std() < 0.7 * np.abs(noisy - parabola).std()
