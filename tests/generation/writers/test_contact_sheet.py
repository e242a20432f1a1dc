from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generation.writers import WriterError, contact_sheet, write_contact_sheet
from generation.writers.contact_sheet import GAP, frame_indices


def test_sheet_shape_is_tiles_plus_margins(smooth_clip):
    clips = [smooth_clip(frames=10, height=24, width=32, seed=s) for s in range(3)]
    sheet = contact_sheet(clips, frames_per_clip=4)
    assert sheet.dtype == np.uint8
    assert sheet.shape == (GAP + 3 * (24 + GAP), GAP + 4 * (32 + GAP), 3)
    # first tile of row 1 is frame 0 of clip 1; last tile of row 2 is the clip's last frame
    top, left = GAP + 24 + GAP, GAP
    assert np.array_equal(sheet[top : top + 24, left : left + 32], clips[1][0])
    top, left = GAP + 2 * (24 + GAP), GAP + 3 * (32 + GAP)
    assert np.array_equal(sheet[top : top + 24, left : left + 32], clips[2][9])


def test_labels_add_a_white_margin_with_text(smooth_clip):
    clips = [smooth_clip(frames=6, seed=s) for s in range(2)]
    plain = contact_sheet(clips, frames_per_clip=3)
    labelled = contact_sheet(clips, frames_per_clip=3, labels=["walk", "run+jump w=0.4"])
    margin = labelled.shape[1] - plain.shape[1]
    assert labelled.shape[0] == plain.shape[0] and margin > 0
    assert np.array_equal(labelled[:, margin:], plain)
    text_area = labelled[:, :margin]
    assert (text_area < 128).any() and (text_area == 255).mean() > 0.5  # dark text on white


def test_tile_height_scales_keeping_aspect(smooth_clip):
    sheet = contact_sheet([smooth_clip(height=24, width=32)], frames_per_clip=2, tile_height=12)
    assert sheet.shape == (GAP + 12 + GAP, GAP + 2 * (16 + GAP), 3)


def test_frame_indices_spread_and_repeat():
    assert frame_indices(10, 4).tolist() == [0, 3, 6, 9]
    assert frame_indices(2, 4).tolist() == [0, 0, 1, 1]
    assert frame_indices(7, 1).tolist() == [0]


def test_contact_sheet_errors(smooth_clip):
    with pytest.raises(WriterError, match="2 labels for 1 clips"):
        contact_sheet([smooth_clip()], labels=["a", "b"])
    with pytest.raises(WriterError, match="no clips"):
        contact_sheet([])


def test_write_contact_sheet_png(tmp_path, smooth_clip):
    clips = [smooth_clip(seed=s) for s in range(2)]
    path = write_contact_sheet(clips, tmp_path / "sheet.png", frames_per_clip=3, labels=["a", "b"])
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.png"]
    assert np.array_equal(np.asarray(Image.open(path)), contact_sheet(clips, frames_per_clip=3, labels=["a", "b"]))
