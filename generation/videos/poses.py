"""Poses of a video study's train videos: extracted with the built-in extractor (cached per video, with its report),
or taken from the user's own pose files (data.poses). A video whose extraction fails is excluded from the pair bank
and stays real data; person_boxes gives where the tracked person is in each frame (for clean plates)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from generation.atomic import check_writable_dir, write_text_atomic
from generation.errors import AutoSynthDaError, PoseDataError
from generation.extract.estimator import mediapipe_version, native_stderr_silenced, require_mediapipe
from generation.extract.pipeline import (
    EstimatorFactory,
    ExtractOptions,
    _init_worker,
    _work,
    extract_one,
    mediapipe_factory,
    resolve_workers,
    sort_rows,
)
from generation.extract.report import ReportRow, one_line, write_report
from generation.extract.sources import VideoSource
from generation.poses.canonical import save_canonical
from generation.poses.io import POSE_SUFFIXES, load_poses
from generation.poses.sequence import PoseSequence
from generation.videos.probe import source_digest

# Bumped when the cache key or what a cached pose file holds changes for the same video and settings.
CACHE_VERSION = 2  # 2: a video keyed by probe.source_digest, as ingest keys it
BOX_PADDING = 0.15  # of the landmarks' extent, each side: landmarks are joints, the body's outline is wider
_VISIBLE = 0.5


class VideoPosesError(AutoSynthDaError):
    """data.poses that cannot serve the study's train videos (a missing or unreadable file), one line."""


@dataclass(frozen=True)
class VideoPoses:
    """files: video path (str) -> its canonical pose file (source = that video path). excluded: video path (str) ->
    why it has none (one line). report: report.csv of this run (extract report format). from_cache: videos whose
    poses (or failure) were loaded from an earlier run instead of being made now."""

    files: dict[str, Path]
    excluded: dict[str, str]
    report: Path | None
    from_cache: int = 0


def video_source(clip: Any) -> VideoSource:
    """A RealClip (path = a video file, or a <video> folder holding rgb/) -> the extractor's VideoSource."""
    path = Path(clip.path)
    if path.is_dir():
        frames = path / "rgb" if (path / "rgb").is_dir() else path
        return VideoSource(frames, clip.label, path.name, "frames")
    return VideoSource(path, clip.label, path.stem, "video")


def _display(clip: Any) -> str:
    path = Path(clip.path)
    return f"{clip.label}/{path.name}{'/' if path.is_dir() else ''}"


def _content_hash(clip: Any) -> str:
    try:
        return source_digest(Path(clip.path))
    except OSError as exc:  # unreadable: the extractor reports it; the key just must not match a good run
        return f"unreadable {exc.strerror}"


def _key(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def _sidecar(out_dir: Path, source: VideoSource) -> Path:
    return out_dir / source.label / f"{source.name}.json"


def _pose_path(out_dir: Path, source: VideoSource) -> Path:
    return out_dir / source.label / f"{source.name}.npz"


def _cached_row(out_dir: Path, source: VideoSource, key: str) -> ReportRow | None:
    try:
        data = json.loads(_sidecar(out_dir, source).read_text())
    except (OSError, ValueError):
        return None
    if data.get("key") != key:
        return None
    row = ReportRow(**{f.name: data["row"].get(f.name) for f in fields(ReportRow)})
    if row.status == "ok" and not _pose_path(out_dir, source).is_file():
        return None
    return row


def _store(out_dir: Path, source: VideoSource, key: str, row: ReportRow) -> None:
    if row.status != "ok":  # a stale file of an older version of this video must not be taken for its poses
        _pose_path(out_dir, source).unlink(missing_ok=True)
    write_text_atomic(_sidecar(out_dir, source), json.dumps({"key": key, "row": asdict(row)}, sort_keys=True))


def train_video_poses(
    clips: Sequence[Any],
    out_dir: Path,
    *,
    user_poses: Path | None = None,
    options: ExtractOptions | None = None,
    workers: int = 0,
    progress: bool = True,
    estimator_factory: EstimatorFactory | None = None,
) -> VideoPoses:
    """Pose files of `clips` (RealClip: path = video file or <video> folder, label = class) under
    out_dir/<class>/<video>.npz, with out_dir/report.csv.

    user_poses None: the built-in extractor, cached per video (same bytes, path and settings: nothing re-extracted);
    a failed video goes to `excluded`, never raises. user_poses: the user's files <user_poses>/<class>/<video>.<ext>
    or <user_poses>/<video>.<ext> (any format load_poses reads), rewritten as canonical files; a missing or
    unreadable one raises VideoPosesError. workers: processes (0 = one per core, 1 = this process).
    """
    out_dir = check_writable_dir(out_dir)
    clips = list({str(clip.path): clip for clip in clips}.values())  # a video named twice is posed once
    if user_poses is not None:
        return _user_video_poses(clips, Path(user_poses), out_dir)
    options = options or ExtractOptions()
    settings = {"version": CACHE_VERSION, "options": asdict(options), "extractor": "mediapipe-pose",
                "extractor_version": mediapipe_version() if estimator_factory is None else "custom"}
    rows: dict[str, ReportRow] = {}
    hits = 0
    todo: list[tuple[Any, VideoSource, str]] = []
    seen: dict[Path, Any] = {}
    for clip in clips:
        source = video_source(clip)
        dst = _pose_path(out_dir, source)
        if dst in seen:
            reason = f"same pose file {source.label}/{dst.name} as {_display(seen[dst])} (rename one)"
            rows[str(clip.path)] = ReportRow(Path(clip.path).name, clip.label, status="error", reason=reason)
            continue
        seen[dst] = clip
        key = _key({**settings, "video": str(clip.path), "content": _content_hash(clip)})
        cached = _cached_row(out_dir, source, key)
        if cached is None:
            todo.append((clip, source, key))
        else:
            rows[str(clip.path)] = cached
            hits += 1
    if todo:
        rows.update(_extract(todo, out_dir, options, workers, progress, estimator_factory))
    report = write_report(sort_rows(list(rows.values())), out_dir / "report.csv")
    files, excluded = {}, {}
    for clip in clips:  # in the caller's order, whatever order the workers finished in
        row = rows[str(clip.path)]
        if row.status == "ok":
            # not row.output: a cached row names the folder it was written in, which may have moved since
            files[str(clip.path)] = _pose_path(out_dir, video_source(clip))
        else:
            excluded[str(clip.path)] = row.reason or row.status
    return VideoPoses(files=files, excluded=excluded, report=report, from_cache=hits)


def _extract(todo: list[tuple[Any, VideoSource, str]], out_dir: Path, options: ExtractOptions, workers: int,
             progress: bool, estimator_factory: EstimatorFactory | None) -> dict[str, ReportRow]:
    n_workers = resolve_workers(workers, len(todo))
    if estimator_factory is None:
        require_mediapipe()
    rows: dict[str, ReportRow] = {}

    def done(clip: Any, source: VideoSource, key: str, row: ReportRow) -> None:
        _store(out_dir, source, key, row)
        rows[str(clip.path)] = row
        bar.update()

    with native_stderr_silenced() as console:
        bar = tqdm(total=len(todo), desc="poses", unit="video", disable=None if progress else True, file=console)
        try:
            if n_workers == 1 or estimator_factory is not None:
                estimator = (estimator_factory or mediapipe_factory)(options)
                try:
                    for clip, source, key in todo:
                        row = extract_one(source, out_dir, options, estimator, origin=str(clip.path),
                                          extra_meta={"cache_key": key})
                        done(clip, source, key, row)
                finally:
                    estimator.close()
            else:
                # spawn, not fork: the parent may hold torch / MediaPipe threads (as in extract_videos).
                pool = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker, initargs=(asdict(options),))
                with pool:
                    futures = {pool.submit(_work, source, str(out_dir), str(clip.path), {"cache_key": key}):
                               (clip, source, key) for clip, source, key in todo}
                    for future in as_completed(futures):
                        clip, source, key = futures[future]
                        try:
                            row = future.result()
                        except Exception as exc:  # a dead worker costs its video, not the study
                            row = ReportRow(Path(clip.path).name, clip.label, status="error",
                                            reason=f"worker failed: {one_line(exc)}")
                        done(clip, source, key, row)
        finally:
            bar.close()
    return rows


def user_pose_file(user_poses: Path, clip: Any) -> Path:
    """The user's pose file (data.poses) for a video: <poses>/<class>/<video>.<ext> or <poses>/<video>.<ext>."""
    source = video_source(clip)
    for folder in (user_poses / source.label, user_poses):
        found = [folder / f"{source.name}{ext}" for ext in POSE_SUFFIXES if (folder / f"{source.name}{ext}").is_file()]
        if len(found) > 1:
            raise VideoPosesError(f"data.poses: {folder}: {' and '.join(p.name for p in found)} both name video "
                                  f"{clip.path} (keep one)")
        if found:
            return found[0]
    expected = f"{source.label}/{source.name}.<{'|'.join(s.lstrip('.') for s in POSE_SUFFIXES)}>"
    raise VideoPosesError(f"data.poses: {user_poses}: no pose file for video {clip.path} (expected {expected})")


def _user_video_poses(clips: Sequence[Any], user_poses: Path, out_dir: Path) -> VideoPoses:
    if not user_poses.is_dir():
        raise VideoPosesError(f"data.poses: {user_poses}: does not exist or is not a folder")
    found = [(clip, video_source(clip), user_pose_file(user_poses, clip)) for clip in clips]  # all checked first
    files, rows, hits = {}, [], 0
    for clip, source, file in found:
        key = _key({"version": CACHE_VERSION, "user_file": str(file), "video": str(clip.path),
                    "content": hashlib.sha256(file.read_bytes()).hexdigest()})
        row = _cached_row(out_dir, source, key)
        if row is None:
            try:
                seq = load_poses(file, label=clip.label)
            except PoseDataError as exc:
                raise VideoPosesError(f"data.poses: {exc}") from None
            meta = {**seq.meta, "pose_file": str(file), "cache_key": key}
            seq = PoseSequence(joints=seq.joints, joint_set=seq.joint_set, fps=seq.fps, label=clip.label,
                               source=str(clip.path), floor_y=seq.floor_y, meta=meta,
                               image_landmarks=seq.image_landmarks)
            dst = save_canonical(seq, _pose_path(out_dir, source))
            row = ReportRow(Path(clip.path).name, clip.label, status="ok", reason=f"from data.poses: {file}",
                            frames=seq.num_frames, kept_frames=seq.num_frames, output=str(dst))
            _store(out_dir, source, key, row)
        else:
            hits += 1
        rows.append(row)
        files[str(clip.path)] = _pose_path(out_dir, source)
    report = write_report(sort_rows(rows), out_dir / "report.csv")
    return VideoPoses(files=files, excluded={}, report=report, from_cache=hits)


def excluded_warning(excluded: dict[str, str]) -> str | None:
    """One line naming the videos without poses, or None when there are none."""
    if not excluded:
        return None
    names = [f"{Path(video).parent.name}/{Path(video).name} ({one_line(reason)})"
             for video, reason in sorted(excluded.items())]
    count = len(names)
    return (f"{count} video{'s' if count != 1 else ''} excluded from the pair bank (poses failed; "
            f"{'they stay' if count != 1 else 'it stays'} real data): {'; '.join(names)}")


def person_boxes(seq: PoseSequence, padding: float = BOX_PADDING) -> np.ndarray | None:
    """(T, 4) x0, y0, x1, y1 in source image pixels around the tracked person of each pose frame (source video frame
    meta["frame_range"][0] + k), padded by `padding` of the box's size each side and clipped to the image; None
    without image landmarks."""
    image = seq.image_landmarks
    size = seq.meta.get("image_size")
    if image is None or not size:
        return None
    width, height = float(size[0]), float(size[1])
    xy = image[..., :2].astype(np.float64) * np.array([width, height])
    visible = image[..., 2] >= _VISIBLE
    visible[visible.sum(axis=1) < 2] = True  # a frame with hardly a visible landmark: box them all
    lo = np.where(visible[..., None], xy, np.inf).min(axis=1)
    hi = np.where(visible[..., None], xy, -np.inf).max(axis=1)
    pad = (hi - lo) * padding
    lo = np.clip(lo - pad, 0.0, [width, height])
    hi = np.clip(hi + pad, 0.0, [width, height])
    return np.concatenate([lo, hi], axis=1)

