"""Clean plates on real footage: the street walk of the video dataset, letterboxed as the study's frames are."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from generation.errors import AutoSynthDaError
from generation.videos.geometry import FrameGeometry
from generation.videos.look import LookError, SourceLook
from generation.videos.plates import build_plates, clean_plate
from testing.videos import letterboxed

SIZE = 128


@pytest.fixture(scope="module")
def street(video_dataset):
    """street_w2: a woman walks across while a man jumps on a box; street_w0: the same static camera before she
    enters, whose median is the background she hides."""
    walk, geometry = letterboxed(video_dataset / "walk" / "street_w2.mp4", SIZE)
    before, _ = letterboxed(video_dataset / "walk" / "street_w0.mp4", SIZE)
    return walk, geometry, clean_plate(before)


def changed(a: np.ndarray, b: np.ndarray, threshold: int = 60) -> np.ndarray:
    return np.abs(a.astype(int) - b.astype(int)).sum(-1) > threshold


def test_plate_of_the_walk_removes_the_person_and_matches_the_frames_elsewhere(street):
    walk, geometry, background = street
    plate = clean_plate(walk)
    content = geometry.content_mask()
    assert plate.shape == (SIZE, SIZE, 3) and plate.dtype == np.uint8
    assert not plate[~content].any()  # the bars stay black
    for k in (0, len(walk) // 2, len(walk) - 1):
        person = changed(walk[k], plate) & content
        # The frame differs from the plate in a small region (the people) ...
        assert 0.003 < person.mean() / content.mean() < 0.06
        # ... and there the plate shows the background the walker hid, not her.
        plate_err = np.abs(plate.astype(int) - background)[person].mean()
        frame_err = np.abs(walk[k].astype(int) - background)[person].mean()
        assert plate_err < 0.4 * frame_err
        # Elsewhere the plate is the frame.
        assert np.abs(plate.astype(int) - walk[k])[content & ~person].mean() < 4.0


def walker_boxes(frames: np.ndarray, background: np.ndarray, geometry: FrameGeometry) -> np.ndarray:
    """The walker's box per frame (frame pixels), from where the frame differs from the background in the right,
    lower part of the picture (the man on the box stays on the left)."""
    import cv2

    x0, y0, w, h = geometry.content
    boxes = []
    for frame in frames:
        diff = changed(frame, background) & geometry.content_mask()
        diff[: y0 + int(0.35 * h)] = False
        diff[:, : x0 + int(0.55 * w)] = False
        _, _, stats, _ = cv2.connectedComponentsWithStats(diff.astype(np.uint8))
        x, y, bw, bh = stats[1 + np.argmax(stats[1:, cv2.CC_STAT_AREA]), :4]
        boxes.append([x, y, x + bw, y + bh])
    return np.asarray(boxes, dtype=float)


def test_person_boxes_remove_a_person_the_median_keeps(street):
    walk, geometry, background = street
    frames = walk[8:16]  # a third of a second: she covers the same pixels in most frames
    boxes = walker_boxes(frames, background, geometry)
    plain, boxed = clean_plate(frames), clean_plate(frames, boxes)
    region = np.zeros((SIZE, SIZE), bool)
    for x0, y0, x1, y1 in boxes.astype(int):
        region[y0:y1, x0:x1] = True
    ghost = region & changed(plain, background)  # where the plain median still shows her
    assert ghost.sum() > 20
    assert np.abs(boxed.astype(int) - background)[ghost].mean() < 0.75 * np.abs(plain.astype(int) - background)[
        ghost].mean()
    outside = geometry.content_mask() & ~region
    assert np.array_equal(boxed[outside], plain[outside]) or np.abs(boxed.astype(int) - plain)[outside].mean() < 1


def test_a_pixel_covered_in_every_frame_is_filled_from_its_surroundings():
    rng = np.random.default_rng(0)
    background = np.full((40, 40, 3), 120, np.uint8) + rng.integers(0, 6, (40, 40, 3)).astype(np.uint8)
    frames = np.repeat(background[None], 5, axis=0)
    frames[:, 10:30, 10:30] = (250, 0, 0)  # a person who never moves
    boxes = np.tile([10.0, 10.0, 30.0, 30.0], (5, 1))
    plate = clean_plate(frames, boxes, margin=0.0)
    assert np.abs(plate[10:30, 10:30].astype(int) - 122).max() < 30  # inpainted (OpenCV is installed), no red
    assert np.array_equal(plate[:5], background[:5])


def test_bad_frames_and_boxes_are_one_line_errors():
    frames = np.zeros((3, 8, 8, 3), np.uint8)
    for call in (lambda: clean_plate(frames[0]), lambda: clean_plate(frames, np.zeros((2, 4)))):
        with pytest.raises(AutoSynthDaError) as info:
            call()
        assert "\n" not in str(info.value)


def write_folder(folder, frames: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{i:06d}.jpg", quality=95)


def test_build_plates_writes_reuses_and_rebuilds(street, tmp_path):
    walk, geometry, background = street
    folders = {"videos/walk/a.mp4": tmp_path / "a" / "rgb", "videos/other/a.mp4": tmp_path / "b" / "rgb"}
    write_folder(folders["videos/walk/a.mp4"], walk)
    write_folder(folders["videos/other/a.mp4"], walk[::-1][:12])
    out = tmp_path / "plates"
    plates = build_plates(folders, out, max_frames=12)
    assert set(plates) == set(folders) and len(set(plates.values())) == 2  # same stem, two plates
    look = SourceLook("videos/walk/a.mp4", geometry, None, plates["videos/walk/a.mp4"])
    plate = look.load_plate()
    person = changed(walk[0], plate) & geometry.content_mask()
    assert person.mean() < 0.06  # the frames' plate, read back

    stamps = {v: p.stat().st_mtime_ns for v, p in plates.items()}
    assert build_plates(folders, out, max_frames=12) == plates
    assert {v: p.stat().st_mtime_ns for v, p in plates.items()} == stamps  # unchanged inputs: reused
    # New boxes for one video rebuild that plate only.
    boxes = {"videos/walk/a.mp4": walker_boxes(walk, background, geometry)}
    build_plates(folders, out, boxes=boxes, max_frames=12)
    assert plates["videos/walk/a.mp4"].stat().st_mtime_ns != stamps["videos/walk/a.mp4"]
    assert plates["videos/other/a.mp4"].stat().st_mtime_ns == stamps["videos/other/a.mp4"]
    assert not [p for p in os.listdir(out) if p.startswith(".")]  # nothing half-written left behind


def test_build_plates_names_a_folder_without_frames(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(LookError, match="empty: no frames") as info:
        build_plates({"v.mp4": tmp_path / "empty"}, tmp_path / "plates")
    assert "\n" not in str(info.value)


def test_a_plate_of_the_wrong_size_is_named(tmp_path):
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / "p.png")
    look = SourceLook("v.mp4", FrameGeometry((12, 10), 10), None, tmp_path / "p.png")
    with pytest.raises(LookError, match=r"p.png: plate: expected 10 x 10 pixels, got 12 x 10"):
        look.load_plate()
