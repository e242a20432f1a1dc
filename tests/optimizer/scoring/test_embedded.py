"""The embedded scorer on a small trial dataset rendered from the bundled real clips (size 32, ratio 0)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from generation.dataset import RenderSettings, assemble_trial, render_real_splits, split_clips
from generation.pairs import PairPlan, build_pair_bank
from optimizer.scoring import EmbeddedScorer, Scorer, ScoreResult, ScoringError, ScoringPruned, TrialDataset
from optimizer.scoring.embedded import R2Plus1DNet, load_split, parameter_count
from optimizer.scoring.embedded.data import sample_positions

CLASSES = ("fall", "jump", "punch", "walk")
SETTINGS = RenderSettings(size=32, format="png", real_views="front,front-left,front-right", batch_clips=32)
QUICK = EmbeddedScorer(epochs=3, frames=8, size=32, threads=1)  # 1: no OpenMP thrashing on a busy CI box


@pytest.fixture(scope="module")
def trial(tmp_path_factory, bundled_real_clips) -> TrialDataset:
    root = tmp_path_factory.mktemp("scoring")
    splits = split_clips(bundled_real_clips(CLASSES), seed=42)
    falls = [c.path for c in splits.train if c.label == "fall"]
    bank = build_pair_bank(root / "pairs", PairPlan(mode="real-real", target_class="fall"), falls)
    renders = render_real_splits(root / "real", splits, SETTINGS, seed=42)
    assemble_trial(root / "trial", renders, bank, target_class="fall", weight=0.5, ratio=0.0, method="synthda",
                   settings=SETTINGS, seed=0)
    return TrialDataset.from_manifest(root / "trial")


def without_timing(r: ScoreResult) -> dict:
    data = r.to_dict()
    for key in ("train_seconds", "eval_seconds"):
        data.pop(key)
    for epoch in data["epochs"]:
        epoch.pop("seconds")
    return data


def test_model_size():
    count = parameter_count(R2Plus1DNet(4))
    assert count == 252_332  # the default widths (16, 32, 64, 80)
    out = R2Plus1DNet(4)(torch.zeros(2, 3, 16, 64, 64))
    assert out.shape == (2, 4)


def test_frame_positions_spread_and_repeat():
    assert sample_positions(100, 4).tolist() == [12, 37, 62, 87]
    assert sample_positions(3, 6).tolist() == [0, 0, 1, 1, 2, 2]  # a short clip repeats frames


def test_load_split_shapes_and_augmentation(trial):
    split = load_split(trial.split_dir("train"), trial.label_map, frames=8, size=24, pool=2, threads=1)
    n = len(split)
    assert split.clips.shape == (n, 3, 16, 24, 24) and split.clips.dtype == torch.uint8
    assert sorted(set(split.labels.tolist())) == [0, 1, 2, 3] and len(split.names) == n
    x, y = split.batch([0, 1, 2])
    assert x.shape == (3, 3, 8, 24, 24) and x.dtype == torch.float32 and -1 <= x.min() < x.max() <= 1
    assert torch.equal(y, split.labels[:3])
    a, _ = split.batch(range(n), generator=torch.Generator().manual_seed(3), augment=True)
    b, _ = split.batch(range(n), generator=torch.Generator().manual_seed(3), augment=True)
    assert torch.equal(a, b) and not torch.equal(a, split.batch(range(n))[0])


def test_score_shapes(trial):
    assert isinstance(QUICK, Scorer)
    r = QUICK.score(trial, seed=0)
    n_test = sum(1 for _ in trial.split_dir("test").glob("*/*/rgb"))
    assert r.classes == list(CLASSES) and r.target_class == "fall"
    assert np.array(r.confusion).shape == (4, 4) and np.array(r.confusion).sum() == n_test
    assert 0 <= r.accuracy <= 1 and 0 <= r.mean_class_accuracy <= 1 and r.loss > 0
    assert set(r.per_class_recall) == set(r.per_class_f1) == set(CLASSES)
    assert len(r.epochs) == 3 and 0 <= r.best_epoch < 3
    assert {"train_loss", "train_acc", "val_loss", "val_acc"} <= set(r.epochs[0])
    assert r.train_seconds > 0 and r.eval_seconds > 0 and r.info["parameters"] == 252_332
    json.dumps(r.to_dict(), allow_nan=False)
    # precision, F1 and the false-positive rate of the target come from the same matrix
    conf, t = np.array(r.confusion), CLASSES.index("fall")
    others = conf.sum() - conf[t].sum()
    assert r.target_measures()["fpr"] == pytest.approx((conf[:, t].sum() - conf[t, t]) / others)
    assert r.to_dict()["per_class_false_positive_rate"]["fall"] == pytest.approx(r.target_measures()["fpr"])


def test_same_seed_same_result_and_settings_restored(trial):
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    rng = torch.get_rng_state()
    first, second = QUICK.score(trial, seed=7), QUICK.score(trial, seed=7)
    assert without_timing(first) == without_timing(second)
    assert without_timing(first) != without_timing(QUICK.score(trial, seed=8))
    assert torch.get_num_threads() == threads and torch.are_deterministic_algorithms_enabled() == deterministic
    assert torch.equal(torch.get_rng_state(), rng)  # the caller's global RNG is untouched


def test_report_once_per_epoch_and_pruning(trial):
    calls = []
    QUICK.score(trial, seed=0, report=lambda epoch, value: calls.append((epoch, value)) and False)
    assert [e for e, _ in calls] == [0, 1, 2] and all(0 <= v <= 1 for _, v in calls)
    calls.clear()
    with pytest.raises(ScoringPruned) as info:
        QUICK.score(trial, seed=0, report=lambda epoch, value: calls.append(epoch) or epoch == 1)
    assert calls == [0, 1] and info.value.epoch == 1


def test_broken_datasets_are_one_line_errors(trial, tmp_path):
    root = tmp_path / "t"
    root.mkdir()
    (root / "train").symlink_to(trial.split_dir("train"))
    (root / "test").symlink_to(trial.split_dir("test"))
    broken = replace(trial, root=root)
    with pytest.raises(ScoringError, match="split folder: does not exist") as info:
        QUICK.score(broken, seed=0)
    assert str(info.value).startswith(str(root / "val")) and "\n" not in str(info.value)

    (root / "val").mkdir()
    with pytest.raises(ScoringError, match=f"{root / 'val'}: split folder: holds no videos"):
        QUICK.score(broken, seed=0)

    shutil.copytree(trial.split_dir("val"), root / "val", dirs_exist_ok=True)
    (root / "val" / "sit").mkdir()
    with pytest.raises(ScoringError, match=f"{root / 'val' / 'sit'}: class folder: 'sit' is not in the label map"):
        QUICK.score(broken, seed=0)

    (root / "val" / "sit").rmdir()
    (root / "test").unlink()
    (root / "test").mkdir()
    with pytest.raises(ScoringError, match="test: split folder: holds no videos"):
        QUICK.score(broken, seed=0)


def test_bad_settings():
    with pytest.raises(ScoringError, match="select: unknown 'f2'"):
        EmbeddedScorer(select="f2")
    with pytest.raises(ScoringError, match="epochs, batch_size must be >= 1"):
        EmbeddedScorer(epochs=0)


def test_it_learns(trial):
    """Fast version of the 'beats chance' check (size 32, 8 frames, 15 epochs: ~2 s a seed on 2 cores): the
    default 64 px / 16 frames / 30 epochs reaches 0.75-0.92 test mean class accuracy here (chance 0.25)."""
    scorer = replace(QUICK, epochs=15, lr=3e-3)
    results = [scorer.score(trial, seed=seed) for seed in (0, 1, 2)]
    assert np.mean([r.mean_class_accuracy for r in results]) > 0.5
    assert all(max(e["train_acc"] for e in r.epochs) > 0.6 for r in results)
