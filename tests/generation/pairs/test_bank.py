from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from generation.pairs import PairPlan, PairPlanError, bank, build_pair_bank, load_pair_bank, plan_pairs
from generation.poses import PoseSequence, save_canonical


def clip(frames: int, label: str, seed: int) -> PoseSequence:
    joints = np.random.default_rng(seed).normal(size=(frames, 22, 3)).astype(np.float32)
    return PoseSequence(joints, fps=30.0, label=label, source=f"clip{seed}")


@pytest.fixture
def real_clips(tmp_path):
    return [save_canonical(clip(20 + i, "fall", i), tmp_path / "real" / f"fall_{i}.npz") for i in range(5)]


@pytest.fixture
def synth_clips(tmp_path):
    paths = []
    for i in range(2):
        path = tmp_path / "synth" / f"gen_{i}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, np.random.default_rng(100 + i).normal(size=(16, 22, 3)).astype(np.float32))
        paths.append(path)
    return paths


def test_real_real_sampling_is_synthdas(real_clips):
    plan = PairPlan(mode="real-real", target_class="fall", num_pairs=4)
    random.seed(42)
    expected = random.sample(list(itertools.combinations(sorted(real_clips), 2)), 4)
    assert plan_pairs(plan, list(reversed(real_clips))) == expected


def test_real_synth_gives_every_real_clip_one_motion(real_clips, synth_clips):
    pairs = plan_pairs(PairPlan(mode="real-synth", target_class="fall"), real_clips, synth_clips)
    assert [r for r, _ in pairs] == sorted(real_clips)
    used = [s for _, s in pairs]
    assert set(used) == set(synth_clips) and abs(used.count(synth_clips[0]) - used.count(synth_clips[1])) <= 1


def test_second_build_loads_from_disk_without_recomputing(tmp_path, real_clips, synth_clips, monkeypatch):
    plan = PairPlan(mode="real-synth", target_class="fall")
    first = build_pair_bank(tmp_path / "pairs", plan, real_clips, synth_clips)
    assert not first.from_cache and len(first) == 5

    def must_not_run(*args, **kwargs):
        raise AssertionError("the bank was recomputed")

    monkeypatch.setattr(bank, "align_pair", must_not_run)
    monkeypatch.setattr(bank, "load_poses", must_not_run)
    second = build_pair_bank(tmp_path / "pairs", plan, real_clips, synth_clips)
    assert second.from_cache and second.key == first.key
    for a, b in zip(first.pairs, second.pairs):
        assert np.array_equal(a.base, b.base) and np.array_equal(a.other, b.other) and a.base_source == b.base_source
    assert np.array_equal(first.blend(0.37)[2], second.blend(0.37)[2])


def test_changed_input_or_plan_invalidates(tmp_path, real_clips, synth_clips):
    plan = PairPlan(mode="real-synth", target_class="fall")
    first = build_pair_bank(tmp_path / "pairs", plan, real_clips, synth_clips)
    save_canonical(clip(30, "fall", 99), real_clips[0])  # same name, new content
    second = build_pair_bank(tmp_path / "pairs", plan, real_clips, synth_clips)
    assert not second.from_cache and second.key != first.key
    third = build_pair_bank(tmp_path / "pairs", PairPlan(mode="real-real", target_class="fall", num_pairs=3), real_clips)
    assert not third.from_cache and len(third) == 3
    assert load_pair_bank(tmp_path / "pairs", second.key) is None
    assert load_pair_bank(tmp_path / "pairs", third.key).from_cache


def test_failed_build_leaves_no_bank(tmp_path, real_clips):
    bad = save_canonical(clip(20, "walk", 7), tmp_path / "real" / "walk_7.npz")
    with pytest.raises(PairPlanError, match=r"label: 'walk' is not the target class 'fall'"):
        build_pair_bank(tmp_path / "pairs", PairPlan(mode="real-real", target_class="fall"), real_clips + [bad])
    assert not (tmp_path / "pairs").exists()
    assert not any(p.name.startswith(".pairs") for p in tmp_path.iterdir())


def test_damaged_bank_is_rebuilt(tmp_path, real_clips):
    plan = PairPlan(mode="real-real", target_class="fall", num_pairs=2)
    built = build_pair_bank(tmp_path / "pairs", plan, real_clips)
    (tmp_path / "pairs" / "pair_00001.npz").write_bytes(b"truncated")
    rebuilt = build_pair_bank(tmp_path / "pairs", plan, real_clips)
    assert not rebuilt.from_cache and np.array_equal(rebuilt.pairs[1].base, built.pairs[1].base)


def test_plan_errors(real_clips):
    with pytest.raises(PairPlanError, match="mode: unknown mix mode"):
        PairPlan(mode="synth-synth")
    with pytest.raises(PairPlanError, match="real-synth needs at least one synthetic motion"):
        plan_pairs(PairPlan(mode="real-synth", target_class="fall"), real_clips, [])
    with pytest.raises(PairPlanError, match="real-real needs at least 2 real clips"):
        plan_pairs(PairPlan(mode="real-real", target_class="fall"), real_clips[:1])


def test_pairs_record_the_given_sources_and_the_key_follows_them(tmp_path):
    """A video study's pairs name the videos their poses came from (leak checks and looks compare videos)."""
    from generation.pairs import PairPlan, build_pair_bank
    from generation.pairs.bank import bank_key
    from generation.poses import load_poses
    from generation.samples import sample_files

    falls = [p for p in sample_files() if load_poses(p).label == "fall"][:3]
    plan = PairPlan(mode="real-real", target_class="fall", num_pairs=2)
    videos = {p: f"/videos/fall/{p.stem}.mp4" for p in falls}
    bank = build_pair_bank(tmp_path / "bank", plan, falls, sources=videos)
    assert {pair.base_source for pair in bank.pairs} <= set(videos.values())
    assert {pair.other_source for pair in bank.pairs} <= set(videos.values())
    assert bank_key(plan, falls) != bank_key(plan, falls, sources=videos)
    plain = build_pair_bank(tmp_path / "plain", plan, falls)
    assert {pair.base_source for pair in plain.pairs} <= {str(p) for p in falls}
