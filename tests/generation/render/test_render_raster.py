"""The tile renderer against the dense reference, determinism, devices, and input errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generation.poses import load_poses
from generation.render import Camera, RenderError, RenderOptions, frame_body, parse_views, render_clips
from testing.demo_poses import standing_pose, walking_clip
from testing.reference_renderer import render_reference

SIZE = (48, 48)


def clips(frames: int = 3) -> torch.Tensor:
    walk = walking_clip(frames)
    stand = np.stack([standing_pose(30.0)] * frames)
    return torch.tensor(np.stack([walk, stand]))


def real_clip(synthda_reference, frames: int = 3) -> torch.Tensor:
    seq = load_poses(synthda_reference / "test_video_1" / "output_keypoints_3d.npz")
    return torch.tensor(seq.joints[10:10 + frames], dtype=torch.float32)


def assert_close_to_reference(joints, views, size, options, seed=0):
    cams = frame_body(joints, parse_views(views, seed=seed), size)
    fast = render_clips(joints, cams, size, options=options, seed=seed)
    ref = render_reference(joints, cams, size, options=options, seed=seed)
    assert fast.shape == ref.shape == (joints.shape[0], joints.shape[1], *size, 3) and fast.dtype == torch.uint8
    diff = (fast.int() - ref.int()).abs().float()
    assert diff.mean() < 1.0, f"mean abs difference {diff.mean():.3f} grey levels"
    # Something was drawn: the comparison is not between two empty frames.
    assert (ref != ref[0, 0, 0, 0]).any(-1).float().mean() > 0.03


@pytest.mark.parametrize("tile", [8, 16])
def test_tiles_match_dense_reference(tile):
    options = RenderOptions(body_color=(0.8, 0.7, 0.6), random_light=True, tile_size=tile)
    assert_close_to_reference(clips(), "front,upper-left", SIZE, options, seed=3)


def test_odd_image_size_matches_reference():
    """Image sides that are not multiples of the tile: the padded tiles must not leak outside the frame."""
    options = RenderOptions(body_color=(0.8, 0.7, 0.6), background="gradient")
    assert_close_to_reference(clips(2), "random:2", (37, 53), options, seed=1)


def test_real_pose_matches_reference(synthda_reference):
    joints = real_clip(synthda_reference)[None]
    assert_close_to_reference(joints, "front-right", SIZE, RenderOptions(body_color=(0.8, 0.7, 0.6)))


def test_same_seed_same_bytes_and_seed_matters():
    joints = clips(4)
    cams = frame_body(joints, parse_views("random:2", seed=5), (64, 64))
    options = RenderOptions.randomized()
    first = render_clips(joints, cams, (64, 64), options=options, seed=11)
    again = render_clips(joints, cams, (64, 64), options=options, seed=11)
    assert torch.equal(first, again)
    other = render_clips(joints, cams, (64, 64), options=options, seed=12)
    assert not torch.equal(first, other)


def test_chunking_does_not_change_the_picture():
    joints = clips(5)
    cams = frame_body(joints, parse_views("front,left"), (40, 40))
    whole = render_clips(joints, cams, (40, 40), options=RenderOptions(chunk_frames=64))
    pieces = render_clips(joints, cams, (40, 40), options=RenderOptions(chunk_frames=3))
    assert torch.equal(whole, pieces)


def test_cpu_device_and_output_layout():
    joints = clips(2)
    cams = frame_body(joints, parse_views("front"), (32, 40))
    out = render_clips(joints, cams, (32, 40), device=torch.device("cpu"))
    assert out.device.type == "cpu" and out.dtype == torch.uint8 and out.shape == (2, 2, 32, 40, 3)
    # SynthDa's look: 0.5 grey background, dark body.
    assert tuple(out[0, 0, 0, 0].tolist()) == (128, 128, 128)
    assert out.float().amin() < 40


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    joints = clips(3)
    cams = frame_body(joints, parse_views("front,random:1"), (64, 64))
    cpu = render_clips(joints, cams, (64, 64), seed=2)
    gpu = render_clips(joints.cuda(), cams, (64, 64), seed=2)
    assert gpu.device.type == "cuda"
    assert (gpu.cpu().int() - cpu.int()).abs().float().mean() < 0.5


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_joints_are_a_clear_error(bad):
    joints = clips(3)
    joints[1, 2, 5, 0] = bad
    cams = Camera.cat([frame_body(clips(3)[:1], parse_views("front"), SIZE)] * 2)
    with pytest.raises(RenderError, match=r"joints: 1 non-finite values .* clip 1 frame 2"):
        render_clips(joints, cams, SIZE)
    with pytest.raises(RenderError, match="non-finite"):
        frame_body(joints, parse_views("front"), SIZE)


def test_bad_shapes_and_counts_are_clear_errors():
    with pytest.raises(RenderError, match=r"expected shape \(B, T, 22, 3\)"):
        render_clips(torch.zeros(2, 17, 3), frame_body(clips(2)[:1], parse_views("front"), SIZE), SIZE)
    cams = frame_body(clips(2), parse_views("front,back"), SIZE)
    with pytest.raises(RenderError, match="2 cameras for 3 clips"):
        render_clips(torch.cat([clips(2), clips(2)[:1]]), cams, SIZE)
    with pytest.raises(RenderError, match="background: unknown kind"):
        RenderOptions(background="sky")
