"""Clean plates: each train video's background with the person removed, for synthetic clips to sit on.

A plate is a per-pixel temporal median over the frames where the pixel is not inside the person's box: a person who
moves uncovers what is behind them. Where the person covers a pixel in every sampled frame (someone who stands
still), the hole is filled by OpenCV's inpainting (Telea) when OpenCV is importable, else by the plain temporal
median there (which keeps a ghost of the person).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generation.atomic import atomic_file, write_text_atomic
from generation.videos.look import LookError

PLATE_FORMAT = 1
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")
BOX_MARGIN = 0.15  # of the box's width/height, each side: a box from joints misses hair, hands and feet


def person_cover(boxes: np.ndarray, height: int, width: int, margin: float = BOX_MARGIN) -> np.ndarray:
    """(N, 4) x0, y0, x1, y1 boxes in frame pixels -> (N, H, W) bool, True inside each frame's (widened) box.
    A row with a non-finite value covers nothing (no person found in that frame)."""
    boxes = np.asarray(boxes, dtype=np.float64)
    cover = np.zeros((len(boxes), height, width), dtype=bool)
    ys, xs = np.arange(height) + 0.5, np.arange(width) + 0.5
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        if not np.all(np.isfinite([x0, y0, x1, y1])):
            continue
        mx, my = margin * abs(x1 - x0), margin * abs(y1 - y0)
        inside_y = (ys >= min(y0, y1) - my) & (ys <= max(y0, y1) + my)
        inside_x = (xs >= min(x0, x1) - mx) & (xs <= max(x0, x1) + mx)
        cover[i] = inside_y[:, None] & inside_x[None, :]
    return cover


def clean_plate(frames: np.ndarray, boxes: np.ndarray | None = None, *, margin: float = BOX_MARGIN) -> np.ndarray:
    """(N, H, W, 3) uint8 frames (+ (N, 4) person boxes x0, y0, x1, y1 in frame pixels) -> (H, W, 3) uint8 plate.

    Per pixel, the median over the frames whose (widened) person box does not hold it; without boxes, the plain
    temporal median. Pixels covered in every frame are inpainted (OpenCV) or, without OpenCV, the plain median."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] == 0:
        raise LookError(f"frames: expected (N, H, W, 3) with N >= 1, got {frames.shape}")
    n, height, width = frames.shape[:3]
    plain = _median(frames.astype(np.float32))
    if boxes is None:
        return plain
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.shape != (n, 4):
        raise LookError(f"boxes: expected ({n}, 4) x0, y0, x1, y1 per frame, got {boxes.shape}")
    cover = person_cover(boxes, height, width, margin)
    data = frames.astype(np.float32)
    data[cover] = np.nan
    plate = _median(data)
    hole = cover.all(axis=0)
    if hole.any():
        plate = _fill(plate, hole, plain)
    return plate


def _median(data: np.ndarray) -> np.ndarray:
    """Median over axis 0 ignoring NaN (NaN sorts last; the middle of the finite values is taken), as uint8.
    Pixels with no finite value get 0 (the caller fills them)."""
    ordered = np.sort(data, axis=0)
    count = np.isfinite(data).sum(axis=0)
    lo = np.clip((count - 1) // 2, 0, None)[None]
    hi = np.clip(count // 2, 0, len(data) - 1)[None]
    mid = (np.take_along_axis(ordered, lo, 0)[0] + np.take_along_axis(ordered, hi, 0)[0]) / 2
    mid = np.where(count > 0, mid, 0.0)
    return np.clip(np.round(mid), 0, 255).astype(np.uint8)


def _fill(plate: np.ndarray, hole: np.ndarray, plain: np.ndarray) -> np.ndarray:
    try:
        import cv2
    except ImportError:
        out = plate.copy()
        out[hole] = plain[hole]
        return out
    return cv2.inpaint(np.ascontiguousarray(plate), hole.astype(np.uint8), 5, cv2.INPAINT_TELEA)


def plate_name(video: str) -> str:
    """A file stem for a video's plate: readable, one path component, unique per video path."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(video).stem).strip("_")[:80] or "video"
    return f"{stem}-{hashlib.sha256(video.encode()).hexdigest()[:10]}"


def frame_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES) if folder.is_dir() else []


def build_plates(
    frames_dirs: Mapping[str, Path],
    out_dir: Path,
    *,
    boxes: Mapping[str, np.ndarray] | None = None,
    max_frames: int = 32,
) -> dict[str, Path]:
    """A clean plate per video from its folder of real frames (video -> its rgb/ folder): out_dir/<name>.png.

    boxes: video -> (M, 4) person boxes in FRAME pixels, spanning the same time as the folder's frames (resampled by
    position when M differs from the number of frames). Up to max_frames evenly spaced frames are used. Each plate is
    written atomically beside a key of its inputs (the sampled frames' bytes, their boxes, max_frames): a re-run
    reuses the plates whose inputs are unchanged. Returns video -> plate path."""
    from PIL import Image

    if max_frames < 1:
        raise LookError(f"max_frames: expected a positive number, got {max_frames}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plates: dict[str, Path] = {}
    for video, folder in tqdm(sorted(frames_dirs.items()), desc="clean plates", unit="video", disable=None):
        files = frame_files(Path(folder))
        if not files:
            raise LookError(f"{folder}: no frames ({', '.join(FRAME_SUFFIXES)}) for the clean plate of {video}")
        picks = np.unique(np.linspace(0, len(files) - 1, min(len(files), max_frames)).round().astype(int))
        rows = None
        if boxes is not None and video in boxes and len(boxes[video]):
            track = np.asarray(boxes[video], dtype=np.float64).reshape(-1, 4)
            scale = (len(track) - 1) / max(len(files) - 1, 1)
            rows = track[np.clip(np.round(picks * scale).astype(int), 0, len(track) - 1)]
        blobs = [files[i].read_bytes() for i in picks]
        digest = hashlib.sha256(json.dumps({"format": PLATE_FORMAT, "max_frames": max_frames}).encode())
        for blob in blobs:
            digest.update(hashlib.sha256(blob).digest())
        digest.update(b"boxes" + (np.ascontiguousarray(rows).tobytes() if rows is not None else b"none"))
        key = digest.hexdigest()
        name = plate_name(video)
        png, key_file = out_dir / f"{name}.png", out_dir / f"{name}.json"
        plates[video] = png
        try:
            if png.is_file() and json.loads(key_file.read_text()).get("key") == key:
                continue
        except (OSError, ValueError, AttributeError):
            pass  # no key or a damaged one: build again
        decoded = [_decode(files[i], blob) for i, blob in zip(picks, blobs)]
        for i, frame in zip(picks, decoded):
            if frame.shape != decoded[0].shape:
                raise LookError(f"{files[i]}: frame is {frame.shape[1]} x {frame.shape[0]}, the folder's first "
                                f"{decoded[0].shape[1]} x {decoded[0].shape[0]}")
        frames = np.stack(decoded)
        plate = clean_plate(frames, rows)
        with atomic_file(png) as tmp:
            Image.fromarray(plate).save(tmp)
        # The key goes last: a kill between the two leaves a plate whose key does not match, built again next time.
        write_text_atomic(key_file, json.dumps({"key": key, "video": video, "frames": len(picks)}))
    return plates


def _decode(path: Path, blob: bytes) -> np.ndarray:
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(blob)) as im:
            return np.asarray(im.convert("RGB"))
    except (OSError, UnidentifiedImageError):
        raise LookError(f"{path}: cannot read the frame for a clean plate") from None
