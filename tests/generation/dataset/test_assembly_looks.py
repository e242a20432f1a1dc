"""A trial of a video study: synthetic clips seen by their source cameras, on the train videos' clean plates, with
the bars of their letterbox geometry; pose studies' trials unchanged."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from generation.dataset import RenderSettings, TrialManifest, assemble_trial, render_real_splits, split_clips
from generation.errors import AutoSynthDaError
from generation.pairs import PairPlan, build_pair_bank
from generation.videos.geometry import SourceCamera
from generation.videos.look import SourceLook
from generation.videos.plates import clean_plate
from testing.videos import letterboxed

CLASSES = ("fall", "jump", "walk")
SIZE = 48
SETTINGS = RenderSettings(size=SIZE, format="png", real_views="front", synthetic_views="front,random:3",
                          views_per_clip=2, batch_clips=8)
LOOK = replace(SETTINGS, camera="source", background="plates")


@pytest.fixture(scope="module")
def study(tmp_path_factory, bundled_real_clips, video_dataset):
    root = tmp_path_factory.mktemp("looks")
    splits = split_clips(bundled_real_clips(CLASSES), seed=42)
    sources = [c.path for c in splits.train if c.label == "fall"]
    bank = build_pair_bank(root / "pairs", PairPlan(mode="real-real", target_class="fall"), sources)
    real = render_real_splits(root / "real", splits, SETTINGS, seed=42)
    # Looks keyed by the bank's base sources, as a video study keys them by video path, plus two other train videos
    # (their plates are candidates too): real plates of the footage, landscape and portrait.
    looks = {}
    videos = [video_dataset / "walk" / "street_w2.mp4", video_dataset / "lunge" / "t1_w0_cam01.mp4"]
    for i, source in enumerate([*sorted({p.base_source for p in bank.pairs}), "other/a.mp4", "other/b.mp4"]):
        boxed, geometry = letterboxed(videos[i % 2], SIZE)
        w, h = geometry.source_size
        plate = root / f"plate{i}.png"
        Image.fromarray(clean_plate(boxed)).save(plate)
        t = np.arange(60) / 30.0
        camera = SourceCamera(np.eye(3), math.radians(50), (w, h),
                                                  np.stack([0.3 * t - 0.2, 0.1 + 0 * t, 4.0 + 0 * t], -1), 30.0)
        looks[source] = SourceLook(source, geometry, camera, plate)
    return root, bank, real, looks


def build(study, name, settings, looks=None, seed=5):
    root, bank, real, _ = study
    return assemble_trial(root / name, real, bank, target_class="fall", weight=0.5, ratio=2.0, method="synthda",
                          settings=settings, seed=seed, looks=looks)


def frames_of(directory) -> np.ndarray:
    return np.stack([np.asarray(Image.open(p).convert("RGB")) for p in sorted((directory / "rgb").glob("*.png"))])


def test_source_cameras_plates_and_bars(study):
    root, bank, real, looks = study
    manifest = build(study, "look", LOOK, looks)
    synthetic = [c for c in manifest.clips if c.kind == "synthetic"]
    assert synthetic and all(c.split == "train" and c.label == "fall" for c in synthetic)
    assert "no_source_camera" not in manifest.extra
    plates = {str(look.plate): look for look in looks.values()}
    for clip in synthetic:
        own = looks[clip.pair[0]]
        if clip.view == "source":
            assert own.camera is not None and clip.background == str(own.plate)  # its own video's plate
        else:
            assert clip.background in plates  # a seeded choice among all plates
        geometry = plates[clip.background].geometry
        frames = frames_of(root / "look" / "train" / "fall" / clip.video)
        assert not frames[:, ~geometry.content_mask()].any()  # the bars of its geometry
        plate = np.asarray(Image.open(clip.background).convert("RGB"))
        same = (frames == plate).all(-1)[:, geometry.content_mask()].mean()
        assert 0.5 < same < 1.0  # the plate as is, a body on it
    # Two clips per pair, in order: the first from the source camera when there is one, the other a drawn view.
    assert len(synthetic) % 2 == 0
    for first, second in zip(synthetic[0::2], synthetic[1::2]):
        assert first.pair == second.pair
        assert (first.view == "source") == (looks[first.pair[0]].camera is not None)
        assert second.view != "source"
    # The real clips are untouched and the manifest reads back.
    assert TrialManifest.read(root / "look").clips == manifest.clips


def test_a_source_without_camera_gets_drawn_views_and_is_listed(study):
    looks = {k: replace(v, camera=None) for k, v in study[3].items()}
    manifest = build(study, "nocam", LOOK, looks)
    synthetic = [c for c in manifest.clips if c.kind == "synthetic"]
    assert synthetic and all(c.view != "source" for c in synthetic)
    assert manifest.extra["no_source_camera"] == sorted({c.pair[0] for c in synthetic})
    assert all(c.background for c in synthetic)


def test_same_seed_same_bytes_and_plates_keep_the_drawn_views(study):
    root = study[0]
    a, b = build(study, "a", LOOK, study[3]), build(study, "b", LOOK, study[3])
    files = sorted(p.relative_to(root / "a") for p in (root / "a").rglob("*.png"))
    assert files and all((root / "a" / f).read_bytes() == (root / "b" / f).read_bytes() for f in files)
    assert [c.video for c in a.clips] == [c.video for c in b.clips]
    # background auto draws the same views and sources; no plate recorded.
    auto = build(study, "auto", replace(LOOK, background="auto"), study[3])
    assert [(c.video, c.pair) for c in auto.clips] == [(c.video, c.pair) for c in a.clips]
    assert all(c.background == "" for c in auto.clips)


def test_default_trial_without_looks_writes_no_new_fields(study):
    root = study[0]
    manifest = build(study, "plain", SETTINGS)
    data = json.loads((root / "plain" / "manifest.json").read_text())
    assert all("background" not in c for c in data["clips"]) and "no_source_camera" not in data["extra"]
    assert all(c.view != "source" for c in manifest.clips)
    assert "background" not in SETTINGS.to_dict() and "camera" not in SETTINGS.to_dict()
    assert LOOK.to_dict()["camera"] == "source" and LOOK.to_dict()["background"] == "plates"


def test_looks_options_without_looks_are_one_line_errors(study, tmp_path):
    for settings in (replace(SETTINGS, camera="source"), replace(SETTINGS, background="plates")):
        with pytest.raises(AutoSynthDaError, match="needs a video study") as info:
            build(study, "bad", settings)
        assert "\n" not in str(info.value)
    assert not (study[0] / "bad").exists()
