"""A study on the user's own videos (data.videos): what setup does instead of rendering mannequins for every split.

find_videos (cheap, before the storage exists): discover and screen the videos, split them (an official split as
given, else 70/15/15 per class by group). prepare_videos (once, cached): decode every video into real frames, extract
the poses of the target class's TRAIN videos (val/test videos never contribute poses), and the looks that make
synthetic clips look like the footage: each train video's frame geometry, fitted camera and clean plate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from generation.dataset import RealClip, SplitError, Splits
from generation.videos.geometry import FrameGeometry
from optimizer.config import StudyConfig
from optimizer.errors import ConfigError
from optimizer.study.paths import StudyPaths
from optimizer.study.workspace import check_classes

if TYPE_CHECKING:
    from generation.dataset import RealRenders
    from generation.videos.discover import VideoDataset
    from generation.videos.look import SourceLook

Log = Callable[[str], None]
_SHOWN = 4  # names in one warning line before "and N more"


@dataclass(frozen=True)
class VideoSources:
    """The study's videos, found and split (probed, not decoded)."""

    dataset: VideoDataset
    splits: Splits


@dataclass(frozen=True)
class VideoStudy:
    """What a video study's trials share: the real frames, the pose files of the pair bank and the looks (keyed by
    the pose files' source, the video path)."""

    real: RealRenders
    pose_files: list[Path]
    fps: float
    sources: dict[Path, str]  # pose file -> the video it came from (what the pair bank records as a pair's source)
    looks: dict[str, SourceLook] = field(default_factory=dict)


def find_videos(config: StudyConfig, *, log: Log = print) -> VideoSources:
    """data.videos found, screened and split; a class too small to split, a missing target class or one class only
    names the folder and the key."""
    from generation.videos.discover import excluded_warning, find_video_dataset, split_videos

    root = config.data.videos
    assert root is not None
    dataset = find_video_dataset(root, classes=config.data.classes, groups=config.data.groups)
    if (warning := excluded_warning(dataset.excluded)) is not None:
        log(_warning(warning))
    check_classes(config, {c.label for c in dataset.clips}, root=root, key="data.videos", files="videos",
                  clips="videos", one_class="videos")
    if dataset.presplit is not None:
        splits = dataset.presplit  # official splits are sacred
    else:
        try:
            splits = split_videos(dataset, seed=config.split_seed)
        except SplitError as exc:
            raise ConfigError(f"{root}: data.videos: {exc}") from None
    if config.data.poses is not None:
        _check_user_poses(config, splits)
    return VideoSources(dataset, splits)


def _check_user_poses(config: StudyConfig, splits: Splits) -> None:
    """data.poses names a file for every train video of the target, checked before anything is written (reading
    them comes later, in train_video_poses)."""
    from generation.videos.poses import user_pose_file

    for clip in splits.train:
        if clip.label == config.target_class:
            user_pose_file(config.data.poses, clip)


def prepare_videos(config: StudyConfig, paths: StudyPaths, sources: VideoSources, *, log: Log = print) -> VideoStudy:
    """Real frames of every split, poses of the target's train videos, and the looks; each step cached on disk."""
    from generation.videos.ingest import ingest_real_videos

    real = ingest_real_videos(
        paths.real, sources.splits, size=config.render.size, fps=config.data.fps, fmt=config.render.format,
        cache_dir=paths.frames_cache, seed=config.split_seed, infos=sources.dataset.infos,
    )
    log(f"real frames: {len(real.records)} videos at {real.fps:g} fps "
        f"{'loaded from disk' if real.from_cache else 'decoded'} ({paths.real})")
    if (warning := short_videos_warning(config, real)) is not None:
        log(warning)
    # Pairs come from TRAIN videos only: a synthetic clip made from a val/test video would leak the answer.
    train_target = [c for c in sources.splits.train if c.label == config.target_class]
    poses = _train_poses(config, paths, train_target, log=log)
    study = VideoStudy(real, [poses[key] for key in sorted(poses)], float(real.fps),
                       {path: video for video, path in poses.items()})
    # always: even on render.background auto and render.camera views, a synthetic clip gets its source video's
    # letterbox bars, so its framing cannot tell it from the real frames
    study.looks.update(source_looks(config, paths, real, train_target, poses, log=log))
    return study


def short_videos_warning(config: StudyConfig, real: RealRenders) -> str | None:
    """One line naming the real videos shorter than the scorer's clip (kept: the scorer repeats frames)."""
    need = config.scorer.tao.rgb_seq_length if config.scorer.tao is not None else config.scorer.frames
    short = sorted({Path(r.source).name for r in real.records if r.frames < need})
    if not short:
        return None
    what = "the TAO clip length (scorer.tao.rgb_seq_length)" if config.scorer.tao is not None else "scorer.frames"
    return _warning(f"{_names(short)} {'is' if len(short) == 1 else 'are'} shorter than {what} {need} at the "
                    "study's frame rate; kept (the scorer repeats frames)")


def _train_poses(config: StudyConfig, paths: StudyPaths, clips: list[RealClip], *, log: Log) -> dict[str, Path]:
    from generation.videos.poses import excluded_warning, train_video_poses

    result = train_video_poses(clips, paths.poses, user_poses=config.data.poses)
    if (warning := excluded_warning(result.excluded)) is not None:
        log(_warning(warning))
    found = "given in data.poses" if config.data.poses is not None else "extracted"
    cached = f", {result.from_cache} loaded from disk" if result.from_cache else ""
    log(f"poses: {len(result.files)} of {len(clips)} train videos of {config.target_class!r} {found}{cached} "
        f"({paths.poses})")
    return {str(video): Path(path) for video, path in result.files.items()}


def source_looks(
    config: StudyConfig, paths: StudyPaths, real: RealRenders, clips: list[RealClip], poses: Mapping[str, Path], *,
    log: Log = print,
) -> dict[str, SourceLook]:
    """Per train video with poses: its frame geometry, its fitted camera (render.camera source; a failed fit leaves
    it without one, named in one warning line) and its clean plate (render.background plates), keyed by the pose
    files' source (the video path)."""
    from generation.poses import load_poses
    from generation.videos.camera_fit import CameraFitError, fit_source_camera
    from generation.videos.look import SourceLook
    from generation.videos.plates import build_plates
    from generation.videos.poses import person_boxes

    frames_dirs = _train_frame_dirs(real, clips)
    geometries, cameras, boxes, failed = {}, {}, {}, {}
    for video, pose_file in sorted(poses.items()):
        seq = load_poses(pose_file)
        geometry = frame_geometry(real.videos[video], config.render.size)
        geometries[video] = geometry
        if config.render.camera == "source":
            try:
                cameras[video] = fit_source_camera(seq)
            except CameraFitError as exc:
                failed[Path(video).name] = str(exc)
        if config.render.background == "plates" and (box := person_boxes(seq)) is not None and video in frames_dirs:
            frames = len(list((frames_dirs[video]).iterdir()))
            first = int((seq.meta.get("frame_range") or [0])[0])  # pose frame k is source frame first + k
            boxes[video] = boxes_in_frames(box, geometry, seq.fps, real.fps, frames, first_frame=first)
    if failed:
        log(_warning(f"no source camera for {_names(sorted(failed))} (the fit failed: "
                     f"{next(iter(failed.values()))}); their synthetic clips use render.synthetic_views"))
    plates: dict[str, Path] = {}
    if config.render.background == "plates":
        plates = build_plates({v: d for v, d in frames_dirs.items() if v in poses}, paths.plates, boxes=boxes)
        log(f"plates: {len(plates)} clean plates of train videos ({paths.plates})")
    return {video: SourceLook(video, geometries[video], cameras.get(video), plates.get(video)) for video in geometries}


def frame_geometry(info: Mapping, size: int) -> FrameGeometry:
    """The letterbox geometry of a probed video (VideoInfo as a dict, whose width and height are already of the
    upright picture, a phone's display rotation applied) in the study's square frames."""
    return FrameGeometry((int(info["width"]), int(info["height"])), size)


def boxes_in_frames(
    boxes: np.ndarray, geometry: FrameGeometry, pose_fps: float, frames_fps: float, frames: int, *, first_frame: int = 0
) -> np.ndarray:
    """(T, 4) person boxes (x0, y0, x1, y1) in source pixels, pose frame k being source frame first_frame + k at
    pose_fps -> (frames, 4) in the study's frame pixels at the real frames' rate (the nearest pose frame in time;
    frames outside the track take its first or last box)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    source_frame = np.round(np.arange(frames) / frames_fps * pose_fps).astype(int)
    index = np.clip(source_frame - first_frame, 0, len(boxes) - 1)
    corners = geometry.to_frame(boxes[index].reshape(-1, 2, 2))
    return corners.reshape(frames, 4)


def _train_frame_dirs(real: RealRenders, clips: list[RealClip]) -> dict[str, Path]:
    """video path -> its real frames' folder, for the given train clips."""
    from generation.writers.frames import RGB_SUBDIR

    wanted = {str(c.path) for c in clips}
    return {r.source: real.directory / r.split / r.label / r.video / RGB_SUBDIR
            for r in real.records if r.split == "train" and r.source in wanted}


def _names(names: list[str]) -> str:
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def _warning(text: str) -> str:
    return text if text.startswith("warning: ") else f"warning: {text}"
