"""`poses extract`: videos -> canonical SMPL-22 .npz per video, in parallel, with a per-video report."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generation.atomic import check_writable_dir
from generation.errors import AutoSynthDaError, PoseDataError
from generation.extract.estimator import (
    MediaPipePose,
    PoseEstimator,
    mute_native_stderr,
    native_stderr_silenced,
    require_mediapipe,
)
from generation.extract.landmarks import HEAD_EXTENSION, LEFT_HIP, LIMBS, RIGHT_HIP, mediapipe33_to_smpl22
from generation.extract.report import ExtractError, ReportRow, one_line
from generation.extract.sources import DEFAULT_FOLDER_FPS, VideoSource, find_videos, open_frames
from generation.extract.temporal import build_track, implausible_frames, smooth, smoothing_window
from generation.poses.canonical import save_canonical
from generation.poses.sequence import PoseSequence


@dataclass(frozen=True)
class ExtractOptions:
    """min_detection: fraction of frames that must show a person, else the video is skipped. max_gap: longest run
    of frames without a person that is filled by interpolation; the clip is cut at longer ones (the longest piece
    is kept). smooth_seconds: Savitzky-Golay window (0 = off). max_frames: read at most this many frames a video.
    folder_fps: frame rate of TAO frame folders (they store none). bone_tolerance: a detection with a thigh, shin,
    upper arm or forearm this fraction off the clip's median length counts as a miss (0 = keep all). min_frames:
    shortest clip worth writing."""

    min_detection: float = 0.6
    max_gap: int = 10
    smooth_seconds: float = 0.2
    max_frames: int | None = None
    folder_fps: float = DEFAULT_FOLDER_FPS
    bone_tolerance: float = 0.3
    model_complexity: int = 1
    min_frames: int = 8

    def __post_init__(self) -> None:
        checks = [
            ("--min-detection", 0.0 <= self.min_detection <= 1.0, "must be in [0, 1]", self.min_detection),
            ("--max-gap", self.max_gap >= 0, "must be >= 0", self.max_gap),
            ("--smooth", self.smooth_seconds >= 0, "must be >= 0 seconds", self.smooth_seconds),
            ("--max-frames", self.max_frames is None or self.max_frames >= 2, "must be >= 2", self.max_frames),
            ("--fps", self.folder_fps > 0, "must be > 0", self.folder_fps),
            ("--bone-tolerance", self.bone_tolerance >= 0, "must be >= 0", self.bone_tolerance),
            ("model_complexity", self.model_complexity in (0, 1, 2), "must be 0, 1 or 2", self.model_complexity),
            ("min_frames", self.min_frames >= 2, "must be >= 2", self.min_frames),
        ]
        for name, ok, rule, value in checks:
            if not ok:
                raise ExtractError(f"{name}: {rule}, got {value!r}")


EstimatorFactory = Callable[[ExtractOptions], PoseEstimator]


def mediapipe_factory(options: ExtractOptions) -> PoseEstimator:
    return MediaPipePose(model_complexity=options.model_complexity)


def video_label(source: VideoSource) -> str:
    """How the report names a video: its file name, or its folder name with a slash for a frame folder."""
    return source.path.name if source.kind == "video" else f"{source.name}/"


def output_path(out_root: Path, source: VideoSource) -> Path:
    return out_root / source.label / f"{source.name}.npz"


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, PoseDataError):
        return f"{exc.field}: {exc.problem}"
    import av

    if isinstance(exc, av.error.FFmpegError):
        return f"unreadable video ({exc.strerror or exc})"
    if isinstance(exc, AutoSynthDaError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _detect(source: VideoSource, options: ExtractOptions, estimator: PoseEstimator):
    """(fps, world (T, 33, 3), image (T, 33, 3) or None, detected (T,), frame size (w, h) or None). image holds the
    estimator's image landmarks when it gives them for every detected frame (NaN rows where no person)."""
    fps, frames = open_frames(source, max_frames=options.max_frames, folder_fps=options.folder_fps)
    estimator.reset()
    points: list[np.ndarray] = []
    images: list[np.ndarray] = []
    has_image = True
    detected: list[bool] = []
    size: tuple[int, int] | None = None
    for rgb in frames:
        size = size or (int(rgb.shape[1]), int(rgb.shape[0]))
        found = estimator(rgb)
        detected.append(found is not None)
        points.append(np.full((33, 3), np.nan) if found is None else found)
        image = getattr(estimator, "image_landmarks", None) if found is not None else np.full((33, 3), np.nan)
        has_image = has_image and image is not None
        if has_image:
            images.append(np.asarray(image, dtype=np.float64))
    world = np.stack(points) if points else np.empty((0, 33, 3))
    image_points = np.stack(images) if has_image and images else None
    return fps, world, image_points, np.array(detected, dtype=bool), size


# The tracked person's pelvis moving more than this fraction of the frame between two detected frames is another
# person taken for them (two people in view: MediaPipe tracks one, and may switch after an occlusion).
JUMP_FRACTION = 0.25


def person_jumps(image: np.ndarray, detected: np.ndarray) -> list[int]:
    """Frames (indices into image) where the pelvis image position jumped > JUMP_FRACTION of the frame since the
    previous detected frame. image: (T, 33, 3) normalised landmarks."""
    idx = np.flatnonzero(detected)
    pelvis = (image[idx, LEFT_HIP, :2] + image[idx, RIGHT_HIP, :2]) / 2
    step = np.abs(np.diff(pelvis, axis=0)).max(axis=1)
    return [int(i) for i in idx[1:][step > JUMP_FRACTION]]


def extract_one(
    source: VideoSource, out_root: str | Path, options: ExtractOptions, estimator: PoseEstimator,
    *, origin: str | None = None, extra_meta: dict | None = None,
) -> ReportRow:
    """Extract one video and write <out_root>/<class>/<video>.npz; every failure becomes a report row.

    origin: the file's `source` (default the video path; a study names a frame folder by its <video>/ folder, not
    rgb/). extra_meta: merged into the file's meta (a study's cache key)."""
    row = {"video": video_label(source), "label": source.label}
    try:
        fps, points, image, detected, size = _detect(source, options, estimator)
    except Exception as exc:  # one bad video must never end the run
        return ReportRow(**row, status="error", reason=_failure_reason(exc))
    total, seen = int(detected.size), int(detected.sum())
    if total == 0:
        return ReportRow(**row, status="error", reason="zero frames (nothing decodable)", frames=0)
    implausible = implausible_frames(points, detected, tuple(LIMBS.values()), options.bone_tolerance)
    detected &= ~implausible
    found, dropped = int(detected.sum()), int(implausible.sum())
    rate = found / total
    counts = {"frames": total, "detected_frames": found, "detection_rate": rate}
    if seen == 0:
        return ReportRow(**row, **counts, status="skipped", reason=f"no person detected in any of {total} frames")
    if found == 0:
        reason = f"all {seen} detections implausible (a limb > {options.bone_tolerance:.0%} off its median length)"
        return ReportRow(**row, **counts, status="skipped", reason=reason)
    if rate < options.min_detection:
        reason = f"person detected in {rate:.0%} of frames (< {options.min_detection:.0%}, --min-detection)"
        return ReportRow(**row, **counts, status="skipped", reason=reason)
    jumps = person_jumps(image, detected) if image is not None else []
    # Image landmarks ride along as 33 more "joints": the same kept frames, the same interpolated gaps.
    both = points if image is None else np.concatenate([points, image], axis=1)
    track = build_track(both, detected, options.max_gap)
    assert track is not None  # found > 0
    kept = track.stop - track.start
    counts.update(gaps_filled=track.gaps_filled)
    if kept < options.min_frames:
        reason = f"longest piece with a person is {kept} frames (< {options.min_frames})"
        return ReportRow(**row, **counts, status="skipped", reason=reason)
    notes = []
    if dropped:
        notes.append(f"{dropped} implausible detection(s) treated as misses")
    if kept < total:
        notes.append(f"kept frames {track.start}-{track.stop - 1} of 0-{total - 1}")
    if track.cut_gaps:
        notes.append(f"cut at {track.cut_gaps} gap(s) > {options.max_gap} frames")
    jumps = [j for j in jumps if track.start < j < track.stop]
    if jumps:
        notes.append(f"tracked person jumped > {JUMP_FRACTION:.0%} of the frame at frame(s) "
                     f"{', '.join(map(str, jumps[:5]))}{' ...' if len(jumps) > 5 else ''} (another person?)")
    try:
        world, kept_image = track.points[:, :33], None
        if image is not None:
            kept_image = track.points[:, 33:].copy()
            # The same smoothing as the joints, so that 2D and 3D stay one motion (visibility is left alone).
            kept_image[..., :2] = smooth(kept_image[..., :2], fps, options.smooth_seconds)
        joints = mediapipe33_to_smpl22(smooth(world, fps, options.smooth_seconds))
        meta = {
            "format": "mediapipe", "extractor": estimator.name, "extractor_version": estimator.version,
            "extractor_settings": estimator.settings, "source_video": str(source.path), "video_frames": total,
            "frame_range": [track.start, track.stop], "detection_rate": round(rate, 6),
            "implausible_detections": dropped,
            "bone_tolerance": options.bone_tolerance,
            "gaps_filled": track.gaps_filled, "frames_filled": track.frames_filled,
            # Frames (relative to the clip) with no person, interpolated: consumers can mask them out.
            "filled_frames": [list(r) for r in track.filled],
            "smoothing": {"method": "savitzky-golay", "window": smoothing_window(fps, options.smooth_seconds, kept),
                          "polyorder": 2},
            "mapping": {"chain": "mediapipe33 -> h36m17 -> smpl22", "head_extension": HEAD_EXTENSION},
            "root_relative": True,
            **(extra_meta or {}),
        }
        if kept_image is not None:
            meta["image_size"] = list(size)
            meta["person_jumps"] = [j - track.start for j in jumps]  # clip frames
        seq = PoseSequence(
            joints=joints.astype(np.float32), fps=fps, label=source.label, source=origin or str(source.path),
            meta=meta, image_landmarks=kept_image,
        )
        dst = save_canonical(seq, output_path(Path(out_root), source))
    except Exception as exc:
        return ReportRow(**row, **counts, status="error", reason=_failure_reason(exc))
    return ReportRow(**row, **counts, kept_frames=kept, status="ok", reason="; ".join(notes), output=str(dst))


# One estimator per worker process: MediaPipe graphs are neither picklable nor safe to share.
_WORKER: dict[str, object] = {}


def _init_worker(options_dict: dict) -> None:
    mute_native_stderr()
    options = ExtractOptions(**options_dict)
    _WORKER["options"] = options
    _WORKER["estimator"] = mediapipe_factory(options)


def _work(source: VideoSource, out_root: str, origin: str | None = None, extra_meta: dict | None = None) -> ReportRow:
    return extract_one(source, out_root, _WORKER["options"], _WORKER["estimator"],  # type: ignore[arg-type]
                       origin=origin, extra_meta=extra_meta)


def resolve_workers(workers: int, jobs: int) -> int:
    if workers < 0:
        raise ExtractError(f"--workers: must be >= 0 (0 = one per CPU core), got {workers}")
    wanted = workers or os.cpu_count() or 1
    return max(1, min(wanted, jobs))


def extract_videos(
    videos_dir: str | Path,
    out: str | Path,
    options: ExtractOptions | None = None,
    *,
    workers: int = 0,
    progress: bool = True,
    estimator_factory: EstimatorFactory | None = None,
) -> list[ReportRow]:
    """Extract every video under videos_dir/<class>/ into out/<class>/<video>.npz; the report rows, sorted.

    workers: processes (0 = one per core); 1 runs in this process. estimator_factory replaces MediaPipe (tests;
    in-process only, since a pool builds its own).
    """
    options = options or ExtractOptions()
    videos = find_videos(videos_dir)  # a bad or empty folder fails before --out is created
    n_workers = resolve_workers(workers, len(videos))
    out = check_writable_dir(out)
    sources, rows = _unique_outputs(videos, out)
    if estimator_factory is None:
        require_mediapipe()
    with native_stderr_silenced() as console:
        bar = tqdm(total=len(sources), desc="extract", unit="video", disable=not progress, file=console)
        try:
            if n_workers == 1 or estimator_factory is not None:
                estimator = (estimator_factory or mediapipe_factory)(options)
                try:
                    for source in sources:
                        rows.append(extract_one(source, out, options, estimator))
                        bar.update()
                finally:
                    estimator.close()
            else:
                rows += _extract_parallel(sources, out, options, n_workers, bar)
        finally:
            bar.close()
    return sort_rows(rows)


def _unique_outputs(sources: Sequence[VideoSource], out: Path) -> tuple[list[VideoSource], list[ReportRow]]:
    """a.mp4 and a.avi (or a frame folder a/) of one class would write the same a.npz: the first one wins, the
    others are error rows instead of silently overwriting it."""
    first: dict[Path, VideoSource] = {}
    clashes = []
    for source in sources:
        dst = output_path(out, source)
        if dst in first:
            reason = f"same output {dst.name} as {video_label(first[dst])} (rename one)"
            clashes.append(ReportRow(video_label(source), source.label, status="error", reason=reason))
        else:
            first[dst] = source
    return list(first.values()), clashes


def _extract_parallel(
    sources: Sequence[VideoSource], out: Path, options: ExtractOptions, workers: int, bar: tqdm
) -> list[ReportRow]:
    # spawn, not fork: the parent may hold torch / MediaPipe threads, and forking those can deadlock.
    context = multiprocessing.get_context("spawn")
    rows: list[ReportRow] = []
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(asdict(options),))
    with pool:
        futures = {pool.submit(_work, source, str(out)): source for source in sources}
        for future in as_completed(futures):
            source = futures[future]
            try:
                rows.append(future.result())
            except Exception as exc:  # a worker that died (crash, out of memory) costs its videos, not the run
                reason = f"worker failed: {one_line(_failure_reason(exc))}"
                rows.append(ReportRow(video_label(source), source.label, status="error", reason=reason))
            bar.update()
    return rows


def sort_rows(rows: Sequence[ReportRow]) -> list[ReportRow]:
    return sorted(rows, key=lambda r: (r.label, r.video))
