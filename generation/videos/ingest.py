"""Real frames: every real video decoded once into TAO frame folders at the study's size and frame rate.

    studies/<name>/real/<split>/<class>/<video>/rgb/000000.jpg ...   hard links into the per-video cache
    <cache_dir>/<key>/rgb/000000.jpg ...                              one folder per video and settings

Policies (the same as for synthetic clips, so the recogniser cannot tell real from synthetic by format):
- aspect ratio: LETTERBOX (generation.videos.geometry.FrameGeometry), black bars;
- phone rotation: the display rotation is applied first (generation.extract.sources.upright);
- frame rate: output frame k shows the decoded frame whose timestamp is nearest to k / fps (ties: the later one),
  for every k with k / fps inside the video (its last frame's time plus one frame interval): a 60 fps clip of 32
  frames becomes 16 frames at 30 fps; a lower source rate repeats frames. fps None: the median of the videos' rates;
- names and encoding: generation.writers.frames (zero-padded names from 000000, JPEG quality 95 or PNG level 1).

A truncated video keeps what decodes. Each video is cached under a key of its bytes and the settings, written
atomically: a run killed midway keeps every finished video, and the next one decodes only the rest. Two processes
that ingest at once both finish; the second finds the work done and keeps the first's result.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from generation.atomic import atomic_dir, check_writable_dir, sweep_partials
from generation.dataset.assembly import RealRenders, link_tree
from generation.dataset.manifest import ClipRecord
from generation.dataset.splits import SPLITS, Splits
from generation.errors import AutoSynthDaError
from generation.extract.sources import DEFAULT_FOLDER_FPS, frame_files, upright
from generation.videos.geometry import FrameGeometry
from generation.videos.probe import VideoInfo, VideoProbeError, frames_folder, probe_video, source_digest
from generation.writers.frames import FrameOptions, default_workers

INGEST_FORMAT = 1
VIEW = "source"  # the real clip as its own camera filmed it
INFO_NAME = "video.json"
MANIFEST_NAME = "manifest.json"
_IN_FLIGHT = 16  # decoded frames queued for the writer threads at most (a 1080p frame holds 3 MB)


class IngestError(AutoSynthDaError, ValueError):
    """Real videos that cannot be ingested as asked."""


class _AlreadyDone(Exception):
    """Another process finished the same work first: drop ours (atomic_dir removes its staging folder)."""


def _hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def resolve_fps(infos: list[VideoInfo], fps: float | None) -> float:
    """The study's frame rate: the one asked for, else the median of the videos' rates."""
    if fps is not None:
        if not np.isfinite(fps) or fps <= 0:
            raise IngestError(f"data.fps: must be a number > 0, got {fps}")
        return float(fps)
    return float(statistics.median(i.fps for i in infos)) if infos else DEFAULT_FOLDER_FPS


def resample(timed: Iterator[tuple[float, Any]], fps: float, interval: float) -> Iterator[Any]:
    """Items at output times k / fps: for each, the input whose time (seconds from the first) is nearest.

    interval: the input's frame interval; the last input lasts that long. Streams: inputs are held one at a time.
    """
    k = 0
    prev: tuple[float, Any] | None = None
    for t, item in timed:
        while k / fps <= t + 1e-9:
            target = k / fps
            use_prev = prev is not None and target - prev[0] < t - target - 1e-9
            yield prev[1] if use_prev else item  # type: ignore[index]
            k += 1
        prev = (t, item)
    if prev is not None:
        while k / fps < prev[0] + interval - 1e-9:
            yield prev[1]
            k += 1


def _letterbox(content: np.ndarray, geometry: FrameGeometry) -> np.ndarray:
    x0, y0, w, h = geometry.content
    canvas = np.zeros((geometry.size, geometry.size, 3), dtype=np.uint8)
    canvas[y0:y0 + h, x0:x0 + w] = content
    return canvas


_LOCAL = threading.local()


def _reformatter():
    scaler = getattr(_LOCAL, "reformatter", None)
    if scaler is None:
        from av.video.reformatter import VideoReformatter

        scaler = _LOCAL.reformatter = VideoReformatter()
    return scaler


def _video_frames(
    path: Path, info: VideoInfo, geometry: FrameGeometry, fps: float, decoded: list[int]
) -> Iterator[Callable[[], np.ndarray]]:
    import av

    _, _, w, h = geometry.content
    quarter = int(round(info.rotation / 90.0)) % 4
    stored_w, stored_h = (h, w) if quarter % 2 else (w, h)

    def timed(container, stream) -> Iterator[tuple[float, Any]]:
        first = None
        try:
            for index, frame in enumerate(container.decode(stream)):
                t = frame.time if frame.time is not None else index / info.fps
                first = t if first is None else first
                decoded[0] = index + 1
                yield t - first, frame
        except av.error.FFmpegError:
            return  # truncated or damaged past this point: keep what decoded

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        def convert(frame) -> np.ndarray:
            # swscale's area filter averages every source pixel (no aliasing at 1080p -> 224) and converts
            # YUV -> RGB in the same pass: ~5x faster than reformatting to full-size RGB and resizing that. It
            # runs in the writer threads, beside the decoder's own threads; frame.reformat shares one scaler
            # between threads and crashes, so each thread has its own.
            rgb = _reformatter().reformat(frame, width=stored_w, height=stored_h, format="rgb24",
                                          interpolation="AREA")
            return _letterbox(upright(rgb.to_ndarray(), info.rotation), geometry)

        for frame in resample(timed(container, stream), fps, 1.0 / info.fps):
            yield lambda frame=frame: convert(frame)


def _folder_frames(
    path: Path, info: VideoInfo, geometry: FrameGeometry, fps: float, decoded: list[int]
) -> Iterator[Callable[[], np.ndarray]]:
    import cv2

    _, _, w, h = geometry.content
    files = frame_files(frames_folder(path))
    last: tuple[int, np.ndarray] | None = None
    for index, file in resample(((i / info.fps, (i, f)) for i, f in enumerate(files)), fps, 1.0 / info.fps):
        if last is None or last[0] != index:
            bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
            if bgr is None:
                return  # an unreadable frame ends the clip, as a truncated video does
            decoded[0] = index + 1
            rgb = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (w, h), interpolation=cv2.INTER_AREA)
            last = (index, _letterbox(rgb, geometry))
        yield lambda frame=last[1]: frame


def _decode_into(
    folder: Path, source: Path, info: VideoInfo, size: int, fps: float, options: FrameOptions,
    pool: ThreadPoolExecutor,
) -> tuple[int, int]:
    """Write the video's frames into folder/rgb/; returns (frames written, frames decoded)."""
    geometry = FrameGeometry(info.size, size)
    decoded = [0]
    frames = (_folder_frames if info.kind == "frames" else _video_frames)(source, info, geometry, fps, decoded)
    rgb_dir = folder / "rgb"
    rgb_dir.mkdir()
    pending: list[Future] = []
    count = 0
    try:
        for count, frame in enumerate(frames, start=1):
            if count >= 10**options.digits:
                raise IngestError(f"{source}: video: more than {10**options.digits - 1} frames at {fps:g} fps")
            name = rgb_dir / f"{count - 1:0{options.digits}d}.{options.fmt}"
            pending.append(pool.submit(lambda frame=frame, name=name: options.save(frame(), name)))
            if len(pending) >= _IN_FLIGHT:
                pending.pop(0).result()
    finally:
        for future in pending:
            future.result()
    if count == 0:
        raise VideoProbeError(source, "no frame decodes (truncated or damaged)")
    return count, decoded[0]


def _ingest_one(
    cache_dir: Path, key: str, source: Path, info: VideoInfo, size: int, fps: float, options: FrameOptions,
    pool: ThreadPoolExecutor,
) -> dict:
    final = cache_dir / key
    info_path = final / INFO_NAME
    if info_path.is_file():
        return json.loads(info_path.read_text())
    try:
        with atomic_dir(final) as staging:
            # ingest's frame count is what decoded: a truncated file's container claims more
            frames, decoded = _decode_into(staging, source, info, size, fps, options, pool)
            data = {"source": str(source), "frames": frames, "fps": fps,
                    "info": replace(info, frames=decoded).to_dict()}
            (staging / INFO_NAME).write_text(json.dumps(data, indent=1))
            if info_path.is_file():
                raise _AlreadyDone
    except _AlreadyDone:
        return json.loads(info_path.read_text())
    return data


def ingest_real_videos(
    directory: str | Path,
    splits: Splits,
    *,
    size: int,
    fps: float | None = None,
    fmt: str = "jpg",
    cache_dir: str | Path,
    seed: int = 42,
    progress: bool = True,
    infos: dict[str, VideoInfo] | None = None,
    folder_fps: float = DEFAULT_FOLDER_FPS,
) -> RealRenders:
    """Decode every real clip of every split (a video file, or a <video> folder holding rgb/) once into
    directory/<split>/<class>/<video>/rgb/ at size x size and fps; reuse it when inputs and settings are unchanged.

    fmt: "jpg" or "png", as the study renders synthetic clips (RenderSettings.format). infos: probes already made
    (VideoDataset.infos), by str(path); the rest are probed here. seed: recorded in the manifest.
    """
    directory, cache_dir = Path(directory), Path(cache_dir)
    options = FrameOptions.checked(directory, fmt=fmt)
    if size < 8:
        raise IngestError(f"render.size: must be at least 8 pixels, got {size}")
    clips = [(split, clip) for split in SPLITS for clip in splits.of(split)]
    if not clips:
        raise IngestError(f"{directory}: no real videos to ingest")
    infos = dict(infos or {})
    for _, clip in clips:
        if str(clip.path) not in infos:
            infos[str(clip.path)] = probe_video(clip.path, folder_fps=folder_fps)
    target_fps = resolve_fps([infos[str(c.path)] for _, c in clips], fps)
    settings = {"format": INGEST_FORMAT, "size": size, "fps": round(target_fps, 6), "fmt": options.fmt,
                "quality": options.quality, "png_compress_level": options.png_compress_level}
    video_keys: dict[str, str] = {}
    for _, clip in clips:
        if str(clip.path) not in video_keys:
            # A frame folder's rate is a setting (folder_fps), not in its bytes.
            video_keys[str(clip.path)] = _hash({**settings, "source": source_digest(clip.path),
                                                "source_fps": round(infos[str(clip.path)].fps, 6)})
    tree_key = _hash({**settings, "seed": seed, "splits": {
        s: sorted((video_keys[str(c.path)], c.label, c.name, c.take) for c in splits.of(s)) for s in SPLITS}})
    label_map = {label: i for i, label in enumerate(splits.classes())}
    loaded = _load_tree(directory, tree_key)
    if loaded is not None:
        return loaded

    check_writable_dir(directory.parent)
    check_writable_dir(cache_dir)
    sweep_partials(cache_dir)  # temporaries of a run that was killed
    from tqdm import tqdm

    done: dict[str, dict] = {}
    unique = list(dict.fromkeys(str(c.path) for _, c in clips))
    with ThreadPoolExecutor(default_workers(), thread_name_prefix="ingest-writer") as pool, \
            tqdm(unique, desc="real videos", unit="video", disable=None if progress else True) as bar:
        for source in bar:
            done[source] = _ingest_one(cache_dir, video_keys[source], Path(source), infos[source], size, target_fps,
                                       options, pool)
    records = [
        ClipRecord(split=split, label=clip.label, video=clip.name, kind="real",
                   frames=int(done[str(clip.path)]["frames"]), view=VIEW, seed=seed, source=str(clip.path),
                   group=clip.take)
        for split, clip in clips
    ]
    videos = {source: done[source]["info"] for source in unique}
    try:
        with atomic_dir(directory) as staging:
            for record in records:
                link_tree(cache_dir / video_keys[record.source] / "rgb",
                           staging / record.split / record.label / record.video / "rgb")
            for split in SPLITS:  # TAO wants every class folder in every split
                for label in label_map:
                    (staging / split / label).mkdir(parents=True, exist_ok=True)
            manifest = {"key": tree_key, "label_map": label_map, "fps": target_fps, "videos": videos,
                        "records": [r.to_dict() for r in records]}
            (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1))
            if _load_tree(directory, tree_key) is not None:
                raise _AlreadyDone
    except _AlreadyDone:
        pass  # another worker published the same tree while we linked ours
    return RealRenders(directory, label_map, records, from_cache=False, fps=target_fps, videos=videos)


def _load_tree(directory: Path, key: str) -> RealRenders | None:
    try:
        data = json.loads((directory / MANIFEST_NAME).read_text())
        if data.get("key") != key:
            return None
        records = [ClipRecord.from_dict(r) for r in data["records"]]
        return RealRenders(directory, data["label_map"], records, from_cache=True, fps=float(data["fps"]),
                           videos=data["videos"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent or damaged: build again
