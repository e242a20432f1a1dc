"""A study on real camera footage, end to end through the command line: the labelled dataset cut from ../shared/videos
(walk / lunge / two_people, the 4 views of a take one group), lunge the rare class, clean plates and source cameras,
the real embedded scorer (2 epochs, 32 px).

The run is killed (SIGKILL) while setup decodes the videos, then rerun: it completes and decodes only the videos the
killed run had not cached. Then: real frames in every split, synthetic clips only in train/lunge, each on a plate and
seen from its source video's camera, no group on both sides, the leak check passing on the trial's manifest and
failing on forged ones, `status`, `export`, a resume that loads everything from disk, a worker and `select`.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from generation.dataset import LeakError, TrialManifest, check_no_leak, check_tao_layout
from optimizer.study import StudyPaths

TRIALS = 2


def _config(video_dataset: Path) -> dict:
    return {
        "name": "vid",
        "target_class": "lunge",
        "data": {"videos": str(video_dataset), "groups": str(video_dataset / "groups.csv")},
        "render": {"size": 32, "format": "jpg", "synthetic_views": "front,random:2", "background": "plates",
                   "camera": "source"},
        # ratio > 0 everywhere: every trial has synthetic clips to look at (no ratio-0 baseline)
        "search": {"trials": TRIALS, "seed": 0, "sampler": "random", "ratio": [0.5, 1.0]},
        "scorer": {"epochs": 2, "frames": 8, "size": 32, "batch_size": 8},
        "keep_trial_data": True,
        "tracking": {"enabled": False},
    }


def _command(config: Path, studies: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "optimizer.cli", *args, str(config), "--studies-dir", str(studies)]


def _cached(cache: Path) -> dict[str, tuple[int, int]]:
    """Whole cached videos (hidden entries are a writer's partials): name -> (inode, mtime_ns) of their info file."""
    if not cache.is_dir():
        return {}
    out = {}
    for entry in cache.iterdir():
        if entry.is_dir() and not entry.name.startswith("."):
            files = sorted(p for p in entry.iterdir() if p.is_file() and p.suffix == ".json")
            if files:
                st = files[0].stat()
                out[entry.name] = (st.st_ino, st.st_mtime_ns)
    return out


def _kill_during_ingest(argv: list[str], cache: Path, total: int, log: Path) -> dict[str, tuple[int, int]] | None:
    """Start argv, SIGKILL it once the frame cache holds some but not all videos; what was cached then (None: the
    kill missed the window)."""
    proc = subprocess.Popen(argv, stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            cached = _cached(cache)
            if 0 < len(cached) < total:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return cached
            time.sleep(0.005)
        return None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def video_study(video_dataset, tmp_path_factory):
    """The study killed during setup, then rerun to the end: (config path, studies dir, paths, what the kill left
    cached, the rerun's stdout)."""
    tmp = tmp_path_factory.mktemp("video_study")
    config = tmp / "vid.yaml"
    config.write_text(yaml.safe_dump(_config(video_dataset)))
    total = sum(1 for _ in video_dataset.rglob("*.mp4"))
    for attempt in range(4):  # a kill can land before the first video is cached or after the last one
        studies = tmp / f"studies{attempt}"
        paths = StudyPaths.for_study("vid", studies)
        left = _kill_during_ingest(_command(config, studies, "optimize"), paths.frames_cache, total, tmp / "killed.log")
        if left is not None:
            break
        shutil.rmtree(studies, ignore_errors=True)
    else:
        pytest.fail(f"the kill never landed while videos were being decoded: {(tmp / 'killed.log').read_text()[-2000:]}")
    done = subprocess.run(_command(config, studies, "optimize"), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return config, studies, paths, left, done.stdout


def _groups(video_dataset: Path) -> dict[str, str]:
    with open(video_dataset / "groups.csv") as fh:
        return {str(video_dataset / row["video"]): row["group"] for row in csv.DictReader(fh)}


def _manifest(paths: StudyPaths, number: int = 1) -> TrialManifest:
    return TrialManifest.read(paths.trial_dir(number))


def test_a_rerun_after_a_kill_in_setup_decodes_only_the_rest(video_study, video_dataset):
    _, _, paths, left, stdout = video_study
    after = _cached(paths.frames_cache)
    total = sum(1 for _ in video_dataset.rglob("*.mp4"))
    assert len(after) == total and 0 < len(left) < total
    assert all(after[name] == stat for name, stat in left.items())  # untouched: not decoded again
    assert f"real frames: {total} videos" in stdout and "decoded" in stdout and "best: trial" in stdout


def test_real_frames_in_every_split_and_synthetic_clips_only_in_train_of_the_target(video_study, video_dataset):
    _, _, paths, _, _ = video_study
    manifest = _manifest(paths)
    videos = {str(p) for p in video_dataset.rglob("*.mp4")}
    for split in ("train", "val", "test"):
        real = [c for c in manifest.clips if c.split == split and c.kind == "real"]
        assert {c.label for c in real} == {"lunge", "two_people", "walk"}, split
        assert all(c.source in videos for c in real)
        for clip in real:  # the frames are the footage's, decoded at the study's size
            frames = sorted((paths.trial_dir(1) / split / clip.label / clip.video / "rgb").iterdir())
            assert len(frames) == clip.frames > 0
    synthetic = [c for c in manifest.clips if c.kind == "synthetic"]
    assert synthetic and all((c.split, c.label) == ("train", "lunge") for c in synthetic)
    check_tao_layout(paths.trial_dir(1) / "train", manifest.label_map)


def test_synthetic_clips_sit_on_plates_and_are_seen_from_their_source_cameras(video_study, video_dataset):
    _, _, paths, _, _ = video_study
    manifest = _manifest(paths)
    synthetic = [c for c in manifest.clips if c.kind == "synthetic"]
    train_lunge = {c.source for c in manifest.clips if c.kind == "real" and (c.split, c.label) == ("train", "lunge")}
    assert all(c.background and Path(c.background).is_file() and Path(c.background).is_relative_to(paths.plates)
               for c in synthetic)
    assert all(c.pair[0] in train_lunge for c in synthetic)  # made from train videos of the target
    missing_cameras = set(manifest.extra.get("no_source_camera", []))
    with_camera = [c for c in synthetic if c.pair[0] not in missing_cameras]
    assert with_camera and any(c.view == "source" for c in with_camera)


def test_only_train_videos_of_the_target_were_posed(video_study):
    _, _, paths, _, _ = video_study
    manifest = _manifest(paths)
    train_lunge = {Path(c.source).stem for c in manifest.clips
                   if c.kind == "real" and (c.split, c.label) == ("train", "lunge")}
    posed = {p.stem for p in paths.poses.rglob("*.npz")}
    assert posed and posed <= train_lunge
    held_out = {Path(c.source).stem for c in manifest.clips if c.split in ("val", "test")}
    assert not posed & held_out


def test_no_group_on_both_sides_and_the_leak_check_proves_it(video_study, video_dataset):
    _, _, paths, _, _ = video_study
    manifest = _manifest(paths)
    groups = _groups(video_dataset)
    split_of: dict[str, set[str]] = {}
    for clip in manifest.clips:
        if clip.kind == "real":
            split_of.setdefault(groups[clip.source], set()).add(clip.split)
    assert all(len(splits) == 1 for splits in split_of.values()), split_of
    check_no_leak(manifest)  # the trial's own manifest passes
    synthetic = next(c for c in manifest.clips if c.kind == "synthetic")
    test_clip = next(c for c in manifest.clips if c.split == "test" and c.label == "lunge")
    # forged: a synthetic clip made from a test video
    forged = replace(manifest, clips=[*manifest.clips, replace(synthetic, video="syn_forged",
                                                               pair=(test_clip.source, test_clip.source))])
    with pytest.raises(LeakError, match="syn_forged"):
        check_no_leak(forged)
    # forged: made from a video outside the manifest, but of a test video's group (another camera of that take)
    outsider = replace(synthetic, video="syn_group", pair=("/elsewhere/cam09.mp4", "/elsewhere/cam09.mp4"),
                       group=test_clip.group)
    with pytest.raises(LeakError, match=f"group {test_clip.group!r}"):
        check_no_leak(replace(manifest, clips=[*manifest.clips, outsider]))
    # forged: a group's real videos in train and test
    moved = [replace(c, split="train") if c is test_clip else c for c in manifest.clips]
    moved.append(replace(test_clip, video=test_clip.video + "_copy", source=test_clip.source + ".copy"))
    with pytest.raises(LeakError, match="group"):
        check_no_leak(replace(manifest, clips=moved))


def test_status_export_a_resume_a_worker_and_select_work_on_a_video_study(video_study, tmp_path):
    config, studies, paths, _, _ = video_study
    status = subprocess.run([sys.executable, "-m", "optimizer.cli", "status", str(config), "--studies-dir",
                             str(studies)], capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
    assert status.stdout.count("COMPLETE") == TRIALS, status.stdout
    out = tmp_path / "dataset"
    export = subprocess.run(_command(config, studies, "export") + ["--out", str(out)], capture_output=True, text=True)
    assert export.returncode == 0, export.stdout + export.stderr
    exported = TrialManifest.read(out)
    assert exported.count("train", "lunge", "synthetic") > 0
    assert exported.count("val", kind="synthetic") == exported.count("test", kind="synthetic") == 0
    for split in ("train", "val", "test"):
        check_tao_layout(out / split, exported.label_map)
    assert all(c.background for c in exported.clips if c.kind == "synthetic")  # the looks reached the export
    # a resume: one more trial, everything shared loaded from disk
    more = subprocess.run(_command(config, studies, "optimize") + ["--trials", str(TRIALS + 1)],
                          capture_output=True, text=True)
    assert more.returncode == 0, more.stdout[-3000:] + more.stderr[-3000:]
    assert "loaded from disk" in more.stdout and "decoded" not in more.stdout.split("real frames:")[1].split("\n")[0]
    posed = more.stdout.split("poses: ")[1].split("\n")[0]  # "3 of 4 train videos of 'lunge' extracted, 4 loaded ..."
    assert f", {posed.split()[2]} loaded from disk" in posed, posed  # every train video's poses (or failure) reused
    assert paths.trial_dir(TRIALS).is_dir()
    # a worker joins the set-up study (join_only: it loads the frames, poses, bank and looks) and runs one more
    worker = subprocess.run(_command(config, studies, "worker") + ["--trials", str(TRIALS + 2)],
                            capture_output=True, text=True)
    assert worker.returncode == 0, worker.stdout[-3000:] + worker.stderr[-3000:]
    worked = TrialManifest.read(paths.trial_dir(TRIALS + 1))
    assert all(c.background for c in worked.clips if c.kind == "synthetic") and worked.count("train", "lunge",
                                                                                            "synthetic")
    # select re-scores the best point and the reference arms (none, synthda) on fresh seeds, on the same real frames
    chosen = subprocess.run(_command(config, studies, "select") + ["--top", "1", "--seeds", "2"],
                            capture_output=True, text=True)
    assert chosen.returncode == 0, chosen.stdout[-3000:] + chosen.stderr[-3000:]
    assert "vs none:" in chosen.stdout and "vs synthda:" in chosen.stdout, chosen.stdout
