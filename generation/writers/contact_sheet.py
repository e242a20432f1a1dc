"""A contact sheet: one row per clip, evenly spaced frames across it, a text label at the row start.

For eyeballing a batch of blended clips at once (is the motion plausible, is the person in frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from generation.atomic import atomic_file, check_writable_dir
from generation.writers._arrays import as_frames
from generation.writers.errors import WriterError

GAP = 2  # white pixels around and between tiles
LABEL_PAD = 4  # white pixels either side of a label's text
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)


def frame_indices(length: int, count: int) -> np.ndarray:
    """`count` frame indices spread evenly over a clip of `length` frames, first and last included.

    Short clips repeat frames so every row has the same number of tiles.
    """
    if count == 1:
        return np.zeros(1, dtype=np.int64)
    return np.linspace(0, length - 1, count).round().astype(np.int64)


def _tile(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    if frame.shape[:2] == (height, width):
        return frame
    image = Image.fromarray(np.ascontiguousarray(frame)).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(image)


def contact_sheet(
    clips: Sequence[Any],
    *,
    frames_per_clip: int = 6,
    labels: Sequence[str] | None = None,
    tile_height: int | None = None,
) -> np.ndarray:
    """The sheet as a uint8 (H, W, 3) array.

    Tiles are `tile_height` pixels high (default: the first clip's frame height) keeping each clip's aspect ratio.
    Height is GAP + rows * (tile_height + GAP); width is label margin + GAP + cols * (tile_width + GAP) for the
    widest row, the label margin being 0 without labels. Narrower rows are padded with white.
    """
    arrays = [as_frames(clip, f"<clip {i}>") for i, clip in enumerate(clips)]
    if not arrays:
        raise WriterError(None, "clips", "no clips to put on a contact sheet")
    if frames_per_clip < 1:
        raise WriterError(None, "frames_per_clip", f"{frames_per_clip} is less than 1")
    if labels is not None and len(labels) != len(arrays):
        raise WriterError(None, "labels", f"{len(labels)} labels for {len(arrays)} clips")
    height = arrays[0].shape[1] if tile_height is None else tile_height
    if height < 1:
        raise WriterError(None, "tile_height", f"{height} is less than 1")

    widths = [max(1, round(a.shape[2] * height / a.shape[1])) for a in arrays]
    font = ImageFont.load_default()
    texts = [" ".join(str(label).split()) for label in labels] if labels is not None else None
    label_width = 0
    if texts is not None:
        label_width = int(max(font.getlength(t) for t in texts)) + 2 * LABEL_PAD

    sheet_h = GAP + len(arrays) * (height + GAP)
    sheet_w = label_width + GAP + frames_per_clip * (max(widths) + GAP)
    sheet = np.full((sheet_h, sheet_w, 3), 255, dtype=np.uint8)
    for row, (frames, width) in enumerate(zip(arrays, widths)):
        top = GAP + row * (height + GAP)
        for col, index in enumerate(frame_indices(len(frames), frames_per_clip)):
            left = label_width + GAP + col * (width + GAP)
            sheet[top : top + height, left : left + width] = _tile(frames[index], height, width)

    if texts is not None:
        image = Image.fromarray(sheet)
        draw = ImageDraw.Draw(image)
        for row, text in enumerate(texts):
            middle = GAP + row * (height + GAP) + height / 2
            draw.text((LABEL_PAD, middle), text, fill=BLACK, font=font, anchor="lm")
        sheet = np.asarray(image).copy()
    return sheet


def write_contact_sheet(
    clips: Sequence[Any],
    path: str | Path,
    *,
    frames_per_clip: int = 6,
    labels: Sequence[str] | None = None,
    tile_height: int | None = None,
) -> Path:
    """contact_sheet(...) saved as a PNG at `path` (temp file + replace)."""
    path = Path(path)
    check_writable_dir(path.parent)
    sheet = contact_sheet(clips, frames_per_clip=frames_per_clip, labels=labels, tile_height=tile_height)
    with atomic_file(path) as tmp:
        Image.fromarray(sheet).save(tmp, "PNG")
    return path
