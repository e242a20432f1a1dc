"""Build the bundled sample clips from the real mocap takes in ../shared/mocap (see SOURCES.md for the result).

Each clip is a window of one take, cut at 30 fps, labelled, and re-centred on its own first frame (SynthDa's
synthetic-flip centre), with meta {"take", "start_s", "end_s", "reversed", "licence", ...} so later stages can split by
take: all windows of one take are the same person in the same session and are strongly correlated.

    python -m testing.build_samples --mocap ../shared/mocap --out generation/samples/data
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generation.poses.bvh import load_bvh
from generation.poses.canonical import save_canonical
from generation.poses.deepmimic import load_deepmimic
from generation.poses.sequence import PoseSequence

SAMPLE_FPS = 30.0

LICENCES = {
    "deepmimic": "zlib (pybullet 3.2.7 pybullet_data, PYBULLET_LICENSE.txt); DeepMimic code MIT",
    "cmu": "CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu), free for research and commercial use; "
    "BVH conversion by B. Hahne (cgspeed)",
    "boxing": "BSD-3-Clause, (c) 2006-2022 ASSIMP Development Team (assimp test models, Debian assimp-testmodels)",
    "mocapbank": "terms not stated (mocapbank.com, via bvhtoolbox 0.1.3 tests): test use only, never vendored",
}
TEST_ONLY_LICENCES = {"mocapbank"}


@dataclass(frozen=True)
class Window:
    """One clip to cut: seconds [start, end] of take (path under the mocap dir); None = the take's own end."""

    label: str
    take: str
    start: float = 0.0
    end: float | None = None
    reverse: bool = False
    note: str = ""


@dataclass(frozen=True)
class SampleClip:
    name: str
    label: str
    take: str
    start_s: float
    end_s: float
    reversed: bool
    licence: str
    num_frames: int
    path: Path


def licence_of(take: str) -> str:
    if take.startswith("deepmimic/"):
        return "deepmimic"
    stem = Path(take).stem
    return {"01_01": "cmu", "Boxing_Toes": "boxing", "test_mocapbank": "mocapbank"}[stem]


def load_take(mocap_dir: Path, take: str) -> PoseSequence:
    path = mocap_dir / take
    return load_bvh(path) if path.suffix == ".bvh" else load_deepmimic(path)


def pelvis_height(seq: PoseSequence) -> np.ndarray:
    """(T,) pelvis height above the floor in metres (canonical frame is y down)."""
    assert seq.floor_y is not None
    return seq.floor_y - seq.joints[:, 0, 1].astype(np.float64)


def hop_peaks(seq: PoseSequence, *, rise: float = 0.12) -> list[float]:
    """Times of the pelvis apex of each hop: local maxima at least `rise` m above the median (standing) height."""
    h = pelvis_height(seq)
    radius = max(1, int(0.3 * seq.fps))
    standing = float(np.median(h))
    peaks = []
    for i in range(len(h)):
        lo, hi = max(0, i - radius), min(len(h), i + radius + 1)
        if h[i] >= standing + rise and h[i] == h[lo:hi].max():
            peaks.append(i / seq.fps)
    return peaks


def hop_windows(seq: PoseSequence, *, half: float = 1.0) -> list[tuple[float, float]]:
    """One window per hop: apex +- half seconds, clipped halfway to the neighbouring apexes so windows never overlap
    (the crouch before take-off and the landing fit inside: ~0.5 s each side of the apex)."""
    peaks = hop_peaks(seq)
    last = (seq.num_frames - 1) / seq.fps
    windows = []
    for k, t in enumerate(peaks):
        lo = max(0.0, t - half) if k == 0 else max(t - half, (peaks[k - 1] + t) / 2)
        hi = min(last, t + half) if k == len(peaks) - 1 else min(t + half, (t + peaks[k + 1]) / 2)
        windows.append((round(lo, 2), round(hi, 2)))
    return windows


def transition_window(
    seq: PoseSequence, search: tuple[float, float], *, falling: bool, margin: tuple[float, float] = (0.75, 0.75)
) -> tuple[float, float]:
    """The window around the pelvis going between its high and low plateaus inside search (seconds).

    High/low = within 10 % of the range from the max/min pelvis height in search. Falling: from the last high frame
    before the first low one; rising: from the last low frame before the first high one after the low plateau.
    margin = (before, after) seconds are added so the lead-in and the settling are in the clip.
    """
    h = pelvis_height(seq)
    i0, i1 = int(search[0] * seq.fps), min(int(search[1] * seq.fps), len(h))
    seg = h[i0:i1]
    top, bottom = float(seg.max()), float(seg.min())
    band = 0.1 * (top - bottom)
    high, low = seg >= top - band, seg <= bottom + band
    if falling:
        end = int(np.argmax(low))
        before = np.flatnonzero(high[:end])
    else:
        first_low = int(np.argmax(low))
        after = np.flatnonzero(high[first_low:])
        end = first_low + int(after[0]) if after.size else first_low
        before = np.flatnonzero(low[:end]) if after.size else after
    if before.size == 0:
        raise ValueError(f"{seq.source}: no {'fall' if falling else 'rise'} of the pelvis within {search} s")
    start = int(before[-1])
    last = (seq.num_frames - 1) / seq.fps
    lo = max(0.0, (i0 + start) / seq.fps - margin[0])
    hi = min(last, (i0 + end) / seq.fps + margin[1])
    return round(lo, 2), round(hi, 2)


def cut(seq: PoseSequence, start: float, end: float | None, *, reverse: bool = False) -> PoseSequence:
    """Seconds [start, end] of seq resampled to SAMPLE_FPS (linear), optionally reversed, re-centred on frame 0."""
    last = (seq.num_frames - 1) / seq.fps
    end = last if end is None else min(end, last)
    times = start + np.arange(int(np.floor((end - start) * SAMPLE_FPS + 1e-6)) + 1) / SAMPLE_FPS
    idx = np.clip(times * seq.fps, 0, seq.num_frames - 1)
    i0 = np.minimum(np.floor(idx).astype(int), seq.num_frames - 2)
    w = (idx - i0)[:, None, None]
    src = seq.joints.astype(np.float64)
    joints = src[i0] * (1 - w) + src[i0 + 1] * w
    if reverse:
        joints = joints[::-1]
    # Centre like the synthetic flip (per-axis median of frame 0) so every clip starts near the origin.
    centre = np.median(joints[0], axis=0)
    floor_y = None if seq.floor_y is None else seq.floor_y - float(centre[1])
    return seq.with_joints((joints - centre).astype(np.float32), fps=SAMPLE_FPS, floor_y=floor_y)


def plan_windows(
    mocap_dir: Path, *, include_test_only: bool = False, takes: dict[str, PoseSequence] | None = None
) -> list[Window]:
    """Every window to cut, with the motion-derived ones (hops, falls, sitting down) located on the takes.
    takes caches loaded takes by path under mocap_dir."""
    cache = {} if takes is None else takes

    def load(take: str) -> PoseSequence:
        if take not in cache:
            cache[take] = load_take(mocap_dir, take)
        return cache[take]

    dm = "deepmimic/humanoid3d_"
    plan = [
        Window("fall", dm + "getup_facedown.txt", reverse=True, note="get-up from prone played backwards (stand-in)"),
        Window("fall", dm + "getup_faceup.txt", reverse=True, note="get-up from supine played backwards (stand-in)"),
        Window("walk", dm + "walk.txt", note="one gait cycle"),
        *[Window("walk", f"deepmimic/walker/{s}.txt", note="one gait cycle") for s in
          ("0walk_forward", "turn_left0", "turn_left1", "turn_right0", "turn_right1")],
        Window("run", dm + "run.txt", note="one stride cycle"),
        Window("jump", dm + "jump.txt", note="one standing jump"),
        Window("punch", dm + "punch.txt", note="one punch"),
        Window("kick", dm + "kick.txt", note="one front kick"),
        Window("kick", dm + "spinkick.txt", note="one spinning kick"),
    ]  # fmt: skip
    boxing = "bvh/Boxing_Toes.bvh"
    take = load(boxing)
    lo, hi = transition_window(take, (20.0, 27.0), falling=True)
    plan.append(Window("fall", boxing, lo, hi, note="knocked down: the only real fall"))
    # The pelvis is up by ~29.7 s but the head only by ~30.4 s: a long tail keeps the upright end (start when reversed).
    lo, hi = transition_window(take, (25.0, 31.0), falling=False, margin=(0.25, 1.0))
    plan.append(Window("fall", boxing, lo, hi, reverse=True, note="getting up from the canvas played backwards"))
    # Full arm extensions (wrist-shoulder >= 95 % of arm length) at 3.5, 5.2-6.5, 9.3-10.0, 12.5-14.2 s; 0-1.4 s is a
    # T-pose and 14.5-22 s guard and footwork without full punches, left out.
    for lo, hi in ((2.3, 4.8), (4.8, 7.3), (8.0, 10.5), (11.8, 14.8)):
        plan.append(Window("punch", boxing, lo, hi, note="boxing punches"))
    hops = load("bvh/01_01.bvh")
    for lo, hi in hop_windows(hops):
        plan.append(Window("jump", "bvh/01_01.bvh", lo, hi, note="one two-footed hop"))
    if include_test_only:
        sit = "bvh/test_mocapbank.bvh"
        take = load(sit)
        lo, hi = transition_window(take, (3.0, 8.0), falling=True)
        plan.append(Window("sit", sit, lo, hi, note="sitting down"))
        lo, hi = transition_window(take, (9.0, 15.0), falling=False)
        plan.append(Window("sit", sit, lo, hi, reverse=True, note="standing up played backwards"))
    return plan


def build_samples(mocap_dir: Path, out_dir: Path, *, include_test_only: bool = False) -> list[SampleClip]:
    """Cut every planned window of the takes under mocap_dir and write it to out_dir as a canonical .npz.

    Test-only sources (unclear licence) are used only with include_test_only. Other *.npz files in out_dir are
    removed, so the directory holds exactly this set.
    """
    mocap_dir, out_dir = Path(mocap_dir), Path(out_dir)
    takes: dict[str, PoseSequence] = {}
    clips: list[SampleClip] = []
    counter: Counter[tuple[str, str]] = Counter()
    for win in plan_windows(mocap_dir, include_test_only=include_test_only, takes=takes):
        licence = licence_of(win.take)
        if licence in TEST_ONLY_LICENCES and not include_test_only:
            continue
        if win.take not in takes:
            takes[win.take] = load_take(mocap_dir, win.take)
        take = takes[win.take]
        stem = Path(win.take).stem
        seq = cut(take, win.start, win.end, reverse=win.reverse)
        end = win.start + (seq.num_frames - 1) / SAMPLE_FPS
        index = counter[(win.label, stem)]
        counter[(win.label, stem)] += 1
        name = f"{win.label}_{stem}_{index:02d}"
        meta = {
            "take": stem, "source_file": win.take, "start_s": round(win.start, 3), "end_s": round(end, 3),
            "reversed": win.reverse, "licence": LICENCES[licence], "note": win.note, "source_fps": take.fps,
            "format": take.meta.get("format"), "rig": take.meta.get("rig"),
        }  # fmt: skip
        flag = " reversed" if win.reverse else ""
        seq = seq.with_joints(
            seq.joints, label=win.label, source=f"mocap/{win.take} [{win.start:.2f}-{end:.2f} s]{flag}", meta=meta
        )
        path = save_canonical(seq, out_dir / f"{name}.npz")
        clips.append(SampleClip(name, win.label, stem, meta["start_s"], meta["end_s"], win.reverse,
                                LICENCES[licence], seq.num_frames, path))  # fmt: skip
    written = {c.path.name for c in clips}
    for stale in out_dir.glob("*.npz"):
        if stale.name not in written:
            stale.unlink()
    return clips


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mocap", type=Path, required=True, help="the shared mocap folder (bvh/, deepmimic/)")
    parser.add_argument("--out", type=Path, required=True, help="output folder for the .npz clips")
    parser.add_argument("--include-test-only", action="store_true", help="also cut test-only sources (never ship)")
    args = parser.parse_args(argv)
    clips = build_samples(args.mocap, args.out, include_test_only=args.include_test_only)
    for clip in clips:
        flag = " reversed" if clip.reversed else ""
        print(f"{clip.name:34s} {clip.label:6s} {clip.start_s:6.2f}-{clip.end_s:6.2f} s {clip.num_frames:4d} f{flag}")
    counts = Counter(c.label for c in clips)
    takes = {label: len({c.take for c in clips if c.label == label}) for label in counts}
    size = sum(c.path.stat().st_size for c in clips)
    print("per class (clips/takes):", ", ".join(f"{k} {v}/{takes[k]}" for k, v in sorted(counts.items())))
    print(f"{len(clips)} clips, {size / 1e6:.2f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
