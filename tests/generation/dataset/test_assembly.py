"""A trial dataset built from the bundled real clips, checked against TAO's layout rules and the leak rules."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from generation.dataset import (
    DatasetError,
    LayoutError,
    LeakError,
    RenderSettings,
    TrialManifest,
    assemble_trial,
    check_no_leak,
    check_tao_layout,
    render_real_splits,
    split_clips,
)
from generation.errors import AutoSynthDaError
from generation.pairs import PairPlan, build_pair_bank

CLASSES = ("fall", "jump", "walk")
SETTINGS = RenderSettings(size=32, format="png", real_views="front", synthetic_views="front,random:3", batch_clips=32)


@pytest.fixture(scope="module")
def study(tmp_path_factory, bundled_real_clips):
    root = tmp_path_factory.mktemp("study")
    splits = split_clips(bundled_real_clips(CLASSES), seed=42)
    train_falls = [c.path for c in splits.train if c.label == "fall"]
    bank = build_pair_bank(root / "pairs", PairPlan(mode="real-real", target_class="fall"), train_falls)
    renders = render_real_splits(root / "real", splits, SETTINGS, seed=42)
    return root, splits, bank, renders


def tree_digest(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.png"))}


def test_trial_is_valid_tao_layout_with_synthetics_only_in_train_target(study):
    root, splits, bank, renders = study
    manifest = assemble_trial(
        root / "trials" / "0001", renders, bank, target_class="fall", weight=0.37, ratio=2.0, method="synthda",
        settings=SETTINGS, seed=1,
    )
    n_train_falls = splits.count("train", "fall")
    assert manifest.count("train", "fall", "synthetic") == round(2.0 * n_train_falls)
    assert manifest.count("val", kind="synthetic") == manifest.count("test", kind="synthetic") == 0
    for split in ("train", "val", "test"):
        report = check_tao_layout(root / "trials" / "0001" / split, manifest.label_map, rgb_seq_length=3,
                                  batch_size=manifest.count(split))
        assert set(report.videos_per_class) == set(CLASSES)
        assert report.num_videos == manifest.count(split) and report.min_frames >= 3
    synthetic = [c for c in manifest.clips if c.kind == "synthetic"]
    assert all(c.weight == 0.37 and c.method == "synthda" and c.pair[0] and c.pair[1] for c in synthetic)
    assert TrialManifest.read(root / "trials" / "0001") == manifest


def test_real_renders_are_reused_and_trials_are_deterministic(study):
    root, splits, bank, renders = study
    again = render_real_splits(root / "real", splits, SETTINGS, seed=42)
    assert again.from_cache and again.records == renders.records
    kwargs = dict(target_class="fall", weight=0.6, ratio=1.0, method="convex", settings=SETTINGS, seed=5)
    assemble_trial(root / "trials" / "a", renders, bank, **kwargs)
    assemble_trial(root / "trials" / "b", renders, bank, **kwargs)
    first, second = tree_digest(root / "trials" / "a"), tree_digest(root / "trials" / "b")
    assert first == second and any("syn_" in k for k in first)


def test_ratio_zero_is_the_real_baseline(study):
    root, _, bank, renders = study
    manifest = assemble_trial(root / "trials" / "base", renders, bank, target_class="fall", weight=0.5, ratio=0.0,
                              method="synthda", settings=SETTINGS, seed=0)
    assert manifest.count("train", kind="synthetic") == 0
    check_tao_layout(root / "trials" / "base" / "train", manifest.label_map)


def test_leak_check_catches_held_out_sources(study):
    root, splits, bank, renders = study
    manifest = assemble_trial(root / "trials" / "leak", renders, bank, target_class="fall", weight=0.5, ratio=1.0,
                              method="synthda", settings=SETTINGS, seed=3)
    check_no_leak(manifest)
    test_clip = next(c for c in manifest.clips if c.split == "test" and c.label == "fall")
    synthetic = next(i for i, c in enumerate(manifest.clips) if c.kind == "synthetic")
    manifest.clips[synthetic] = replace(manifest.clips[synthetic], pair=(test_clip.source, "other"))
    with pytest.raises(LeakError, match=f"made from {test_clip.source}, which is the test clip"):
        check_no_leak(manifest)
    manifest.clips[synthetic] = replace(manifest.clips[synthetic], split="val")
    with pytest.raises(LeakError, match="synthetic clip in a held-out split"):
        check_no_leak(manifest)


def test_bank_built_from_held_out_clips_is_refused(study, tmp_path):
    root, splits, _, renders = study
    all_falls = [c.path for split in ("train", "val", "test") for c in splits.of(split) if c.label == "fall"]
    leaky = build_pair_bank(tmp_path / "pairs", PairPlan(mode="real-real", target_class="fall"), all_falls)
    with pytest.raises(LeakError):
        assemble_trial(tmp_path / "trial", renders, leaky, target_class="fall", weight=0.5, ratio=2.0,
                       method="synthda", settings=SETTINGS, seed=0)
    assert not (tmp_path / "trial").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["pairs"]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"ratio": -0.5}, DatasetError, r"ratio: must be a number >= 0, got -0.5"),
        ({"target_class": "sit"}, DatasetError, r"target_class: 'sit' is not a class"),
        ({"settings": replace(SETTINGS, synthetic_views="front,sideways")}, AutoSynthDaError, "unknown view 'sideways'"),
        ({"weight": 1.5}, AutoSynthDaError, r"weight: must be within \[0, 1\]"),
    ],
)
def test_bad_requests_are_one_line_errors(study, tmp_path, changes, error, message):
    _, _, bank, renders = study
    kwargs = dict(target_class="fall", weight=0.5, ratio=1.0, method="synthda", settings=SETTINGS, seed=0) | changes
    with pytest.raises(error, match=message) as info:
        assemble_trial(tmp_path / "t", renders, bank, **kwargs)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "t").exists()


def test_unwritable_output_directory(study, tmp_path):
    _, _, bank, renders = study
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(AutoSynthDaError, match="not writable") as info:
        assemble_trial(blocker / "trial", renders, bank, target_class="fall", weight=0.5, ratio=1.0,
                       method="synthda", settings=SETTINGS, seed=0)
    assert str(blocker) in str(info.value)


def test_layout_checker_rejects_broken_roots(study, tmp_path):
    root, _, _, renders = study
    with pytest.raises(LayoutError, match="class folders: missing"):
        check_tao_layout(root / "real" / "train", ["fall", "jump", "walk", "sit"])
    video = next((root / "real" / "train" / "fall").iterdir())
    with pytest.raises(LayoutError, match="fewer than rgb_seq_length"):
        check_tao_layout(root / "real" / "train", renders.label_map, rgb_seq_length=10_000)
    with pytest.raises(LayoutError, match="smaller than the batch size"):
        check_tao_layout(root / "real" / "train", renders.label_map, batch_size=10_000)
    broken = tmp_path / "root" / "fall" / "v" / "rgb"
    broken.mkdir(parents=True)
    for name in ("0.png", "1.png", "10.png"):
        (broken / name).write_bytes((video / "rgb" / "000000.png").read_bytes())
    with pytest.raises(LayoutError, match="mixed widths"):
        check_tao_layout(tmp_path / "root", ["fall"])
