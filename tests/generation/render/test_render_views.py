"""Cameras and views: framing fills the picture, bodies stand upright, views differ, specs parse, randomness is seeded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generation.render import (
    NAMED_VIEWS,
    RenderError,
    RenderOptions,
    frame_body,
    parse_views,
    render_clips,
    render_views,
)  # fmt: skip
from testing.demo_poses import standing_pose, walking_clip

BACKGROUND = 128


def foreground(frame: torch.Tensor) -> torch.Tensor:
    return (frame.int() - BACKGROUND).abs().amax(-1) > 0


def bbox_height(mask: torch.Tensor) -> int:
    rows = torch.nonzero(mask.any(-1)).squeeze(1)
    return int(rows.max() - rows.min() + 1) if rows.numel() else 0


def standing(frames: int = 2) -> torch.Tensor:
    return torch.tensor(np.stack([standing_pose()] * frames))


@pytest.mark.parametrize("view", ["front", "left", "front-right", "upper-left"])
def test_standing_body_fills_most_of_the_frame_height(view):
    size = 96
    out = render_views(standing(), parse_views(view), size)
    mask = foreground(out[0, 0])
    height = bbox_height(mask)
    assert 0.6 * size <= height <= 0.95 * size, f"{view}: body spans {height} of {size} rows"
    # Never cut off by the frame.
    assert not (mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())


def test_bodies_are_upright_head_at_the_top():
    """Canonical y is down: in every named view the head projects above the feet."""
    clip = standing()[None]
    views = list(NAMED_VIEWS.values())
    cams = frame_body(clip.expand(len(views), -1, -1, -1), views, (64, 64))
    cam_pts = cams.world_to_camera(clip[:, 0].expand(len(views), -1, -1))  # (V, 22, 3)
    image_y = cam_pts[..., 1] / cam_pts[..., 2]
    head, ankles = image_y[:, 15], image_y[:, [7, 8]].amin(-1)
    assert (head < ankles).all()
    # And in pixels: the top rows of the picture are narrower (head) than the rows at mid height (arms, torso).
    out = render_views(standing(), parse_views("front"), 96)
    mask = foreground(out[0, 0])
    rows = torch.nonzero(mask.any(-1)).squeeze(1)
    top = int(rows.min())
    assert mask[top + 3].sum() < mask[top + 25].sum()


def test_whole_clip_stays_in_frame_with_a_fixed_camera():
    walk = torch.tensor(walking_clip(24))
    out = render_views(walk, parse_views("front,front-left"), 64)
    for v in range(2):
        masks = torch.stack([foreground(f) for f in out[v]])
        assert masks.any((1, 2)).all(), "an empty frame"
        assert not (masks[:, 0].any() or masks[:, -1].any() or masks[:, :, 0].any() or masks[:, :, -1].any())


def test_named_views_give_different_pictures():
    walk = torch.tensor(walking_clip(2))
    names = list(NAMED_VIEWS)
    out = render_views(walk, parse_views(",".join(names)), 48)
    frames = out[:, 1].reshape(len(names), -1)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            assert not torch.equal(frames[i], frames[j]), f"{names[i]} and {names[j]} look the same"


def test_random_views_are_reproducible_from_the_seed():
    first = parse_views("random:3", seed=7)
    assert first == parse_views("random:3", seed=7)
    assert first != parse_views("random:3", seed=8)
    assert first[:2] == parse_views("random:2", seed=7)
    assert len({(v.azimuth, v.elevation) for v in first}) == 3
    walk = torch.tensor(walking_clip(2))
    a = render_views(walk, first, 40, seed=1, options=RenderOptions.randomized())
    b = render_views(walk, parse_views("random:3", seed=7), 40, seed=1, options=RenderOptions.randomized())
    assert torch.equal(a, b)


def test_view_spec_parsing():
    views = parse_views(" front, back ,random:2,custom:30:10, Upper-Left")
    assert [v.name for v in views[:2]] == ["front", "back"] and views[-1].name == "upper-left"
    assert views[4].azimuth == 30.0 and views[4].elevation == 10.0
    assert parse_views(["left", "random"])[1].name == "random0"


@pytest.mark.parametrize("spec", ["front,fornt", "random:0", "random:x", "custom:1", ""])
def test_unknown_view_is_a_one_line_error_listing_known_views(spec):
    with pytest.raises(RenderError) as err:
        parse_views(spec)
    message = str(err.value)
    assert "\n" not in message and "front-left" in message and "random:N" in message
    if spec == "front,fornt":
        assert "'fornt'" in message


def test_backgrounds_gradient_and_images():
    clip = standing(1)[None]
    cams = frame_body(clip, parse_views("front"), (40, 40))
    grad = render_clips(clip, cams, (40, 40), background="gradient", seed=4)
    assert grad[0, 0, 0, 0].tolist() != grad[0, 0, -1, -1].tolist()
    image = torch.zeros(1, 20, 30, 3, dtype=torch.uint8)
    image[..., 1] = 200
    out = render_clips(clip, cams, (40, 40), background=image)
    assert out[0, 0, 0, 0].tolist() == [0, 200, 0]
    with pytest.raises(RenderError, match="background_images"):
        RenderOptions(background="images")


def test_render_views_takes_a_spec_string_and_checks_size():
    out = render_views(standing(2), "front,random:1", (24, 32), seed=3)
    assert out.shape == (2, 2, 24, 32, 3)
    with pytest.raises(RenderError, match="size"):
        render_views(standing(2), "front", (4, 32))
