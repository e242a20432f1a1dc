"""Synthetic clips seen by a source video's camera land where that camera saw the person, inside the letterbox."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from generation.dataset import ClipJob, RenderSettings, render_and_write
from generation.dataset.looks import SOURCE_VIEW, letterbox_camera, source_camera_job
from generation.render import NAMED_VIEWS, RenderError, render_clips
from generation.render.options import SYNTHDA_BACKGROUND
from generation.videos.geometry import FrameGeometry, SourceCamera
from generation.videos.look import LookError, SourceLook
from testing.demo_poses import walking_clip

SIZE = 160
FPS = 30.0
GREY = round(SYNTHDA_BACKGROUND[0] * 255)


def rot(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    y, p = math.radians(yaw_deg), math.radians(pitch_deg)
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    return rx @ ry


def a_camera(image_size: tuple[int, int], frames: int, fps: float) -> SourceCamera:
    """A camera that looks a little down at a person walking across, 4-5 m away; its track at its own fps."""
    t = np.arange(frames) / fps
    root = np.stack([-0.6 + 1.5 * t, 0.25 + 0 * t, 4.5 - 0.5 * t], axis=-1)
    return SourceCamera(rot(25.0, -12.0), math.radians(55.0), image_size, root, fps)


def clip(frames: int = 24) -> np.ndarray:
    joints = walking_clip(frames, FPS, heading_deg=-90.0)
    return joints + np.array([0.3, -0.2, 0.1])  # not root-relative: source_camera_job must not care


def read_frame_folder(clip_dir) -> np.ndarray:
    from PIL import Image

    return np.stack([np.asarray(Image.open(p).convert("RGB")) for p in sorted((clip_dir / "rgb").glob("*.png"))])


@pytest.mark.parametrize("source_size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
def test_the_body_sits_where_the_source_camera_saw_it(source_size):
    joints = clip()
    camera = a_camera(source_size, 2 * len(joints), 2 * FPS)  # the track at 60 fps, the clip at 30
    geometry = FrameGeometry(source_size, SIZE)
    look = SourceLook("v.mp4", geometry, camera)
    placed, cam = source_camera_job(joints, FPS, look, SIZE)
    frames = render_clips(torch.from_numpy(placed), cam, SIZE)[0].numpy()

    # Where the source camera would have seen these joints, mapped into the letterboxed frame.
    relative = joints - joints[:, :1]
    resampled = replace(camera, root=camera.root_at(len(joints), FPS), fps=FPS)
    expected = geometry.to_frame(resampled.project(relative))  # (T, 22, 2)
    x0, y0, w, h = geometry.content
    for k in range(0, len(joints), 5):
        body = np.abs(frames[k].astype(int) - GREY).sum(-1) > 12
        ys, xs = np.nonzero(body)
        assert len(xs) > 30
        px = expected[k]
        assert xs.min() - 1 <= px[:, 0].min() and px[:, 0].max() <= xs.max() + 2
        assert ys.min() - 1 <= px[:, 1].min() and px[:, 1].max() <= ys.max() + 2
        centre = np.array([(xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2])
        assert np.abs(centre - (px.min(0) + px.max(0)) / 2).max() < 3.0
        # Every joint lands on the body (the capsules are built on the joints), hands and feet included.
        cols = np.clip(px[:, 0].astype(int), 0, SIZE - 1)
        rows = np.clip(px[:, 1].astype(int), 0, SIZE - 1)
        grown = body | np.roll(body, 1, 0) | np.roll(body, -1, 0) | np.roll(body, 1, 1) | np.roll(body, -1, 1)
        assert grown[rows, cols].all()
        # The person walks across the picture: inside the content rectangle, not in the bars.
        assert x0 <= px[:, 0].min() and px[:, 0].max() <= x0 + w and y0 <= px[:, 1].min()
    assert expected[-1, 0, 0] - expected[0, 0, 0] > 0.1 * w  # the track moved the body across


def test_source_clip_job_gets_its_plate_as_is_and_the_bars_black(tmp_path):
    joints = clip(12)
    geometry = FrameGeometry((1080, 1920), SIZE)  # portrait: bars left and right
    look = SourceLook("v.mp4", geometry, a_camera((1080, 1920), 12, FPS))
    placed, cam = source_camera_job(joints, FPS, look, SIZE)
    rng = np.random.default_rng(0)
    plate = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    mask = geometry.content_mask()
    jobs = [ClipJob(placed, SOURCE_VIEW, 3, tmp_path / "a", FPS, camera=cam, background=plate, mask=mask),
            ClipJob(joints, NAMED_VIEWS["front"], 3, tmp_path / "b", FPS)]
    render_and_write(jobs, RenderSettings(size=SIZE, format="png", batch_clips=4))
    a, b = read_frame_folder(tmp_path / "a"), read_frame_folder(tmp_path / "b")
    assert not a[:, ~mask].any()  # bars
    body = (a != plate).any(-1) & mask
    assert 0 < body[0].mean() < 0.3
    assert np.array_equal(a[0][~body[0] & mask], plate[~body[0] & mask])  # the plate, pixel for pixel
    # The plain job in the same batch is what it is alone.
    render_and_write([jobs[1]], RenderSettings(size=SIZE, format="png"), desc="alone")
    alone = read_frame_folder(tmp_path / "b")
    assert np.array_equal(alone, b)


def test_a_drawn_view_is_framed_inside_the_letterbox():
    joints = walking_clip(16, FPS, heading_deg=0.0)
    geometry = FrameGeometry((1080, 1920), SIZE)
    x0, _, w, _ = geometry.content
    cam = letterbox_camera(joints, NAMED_VIEWS["front-left"], geometry)
    frames = render_clips(torch.from_numpy(joints), cam, SIZE)[0].numpy()
    body = (np.abs(frames.astype(int) - GREY).sum(-1) > 12).any(0)
    xs = np.nonzero(body)[1]
    assert x0 - 1 <= xs.min() and xs.max() <= x0 + w  # the whole clip's body fits the portrait picture
    ys = np.nonzero(body)[0]
    assert ys.max() - ys.min() > 0.5 * SIZE  # and still fills its height


def test_bad_given_background_mask_and_missing_camera_are_named(tmp_path):
    joints = clip(4)
    bad = [ClipJob(joints, NAMED_VIEWS["front"], 0, tmp_path / "x", background=np.zeros((5, 5, 3), np.uint8)),
           ClipJob(joints, NAMED_VIEWS["front"], 0, tmp_path / "y", mask=np.ones((SIZE, SIZE)))]
    for job in bad:
        with pytest.raises(RenderError, match=str(job.clip_dir)) as info:
            render_and_write([job], RenderSettings(size=SIZE))
        assert "\n" not in str(info.value)
    with pytest.raises(LookError, match="v.mp4: no source camera"):
        source_camera_job(joints, FPS, SourceLook("v.mp4", FrameGeometry((64, 48), SIZE)), SIZE)
    job = ClipJob(joints, NAMED_VIEWS["front"], 0, tmp_path / "z", background=np.zeros((SIZE, SIZE, 3), np.uint8))
    with pytest.raises(RenderError, match="smpl cannot render source cameras or plates"):
        render_and_write([job], RenderSettings(size=SIZE, body="smpl"))


def test_render_clips_takes_one_given_background_per_clip():
    joints = torch.from_numpy(np.stack([clip(3), clip(3)]))
    cams = letterbox_camera(clip(3), NAMED_VIEWS["front"], FrameGeometry((64, 64), 32))
    given = torch.from_numpy(np.random.default_rng(1).integers(0, 256, (2, 32, 32, 3), dtype=np.uint8))
    frames = render_clips(joints, cams, 32, backgrounds=given)
    assert ((frames == given[:, None]).all(-1).float().mean() > 0.5).item()
    with pytest.raises(RenderError, match=r"backgrounds: expected a \(2, 32, 32, 3\) uint8 tensor") as info:
        render_clips(joints, cams, 32, backgrounds=given[:1])
    assert "\n" not in str(info.value)
