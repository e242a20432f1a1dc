"""A study's one-time setup: splits, pair bank, real renders, the Optuna storage and study. Re-running loads them."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

from generation.dataset import RealRenders, RenderSettings, Splits, render_real_splits, split_clips
from generation.pairs import PairBank, PairPlan, build_pair_bank
from generation.poses import iter_pose_files
from optimizer.config import ConfigError, StudyConfig
from optimizer.scoring import Scorer
from optimizer.study.samplers import make_sampler
from optimizer.study.workspace import StudyPaths, discover_real_clips

# A crashed worker's trial is failed and re-queued (same params) once its heartbeat is this stale.
HEARTBEAT_INTERVAL_S = 30
GRACE_PERIOD_S = 120
MAX_RETRY = 2


@dataclass
class PreparedStudy:
    config: StudyConfig
    paths: StudyPaths
    splits: Splits
    bank: PairBank
    real: RealRenders
    settings: RenderSettings
    study: optuna.Study


def render_settings(config: StudyConfig, device: str = "auto") -> RenderSettings:
    r = config.render
    return RenderSettings(
        size=r.size,
        fmt=r.format,
        real_views=r.real_views,
        synthetic_views=r.synthetic_views,
        views_per_clip=r.views_per_clip,
        appearance=r.appearance,
        device=device,
    )


def open_storage(url: str) -> optuna.storages.BaseStorage:
    if not url.startswith(("sqlite", "postgresql", "mysql")):
        return optuna.storages.get_storage(url)
    with warnings.catch_warnings():
        # Heartbeats are "experimental" in Optuna 5 yet the documented way to recover crashed trials.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            url,
            heartbeat_interval=HEARTBEAT_INTERVAL_S,
            grace_period=GRACE_PERIOD_S,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY),
        )


def prepare_study(
    config: StudyConfig, *, paths: StudyPaths, storage: str | None = None, device: str = "auto", log=print
) -> PreparedStudy:
    """Everything trials share, computed once: a re-run loads the pair bank and the real renders from disk.

    Cheap checks and the storage come first, so a bad config or storage URL fails before any rendering.
    """
    splits = split_clips(discover_real_clips(config), seed=config.split_seed)
    paths.root.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name=config.name,
        storage=open_storage(storage or paths.default_storage),
        direction="maximize",
        sampler=make_sampler(config.search.sampler, config.search.seed, config.search),
        load_if_exists=True,
    )
    if not study.trials:
        study.set_user_attr("config", config.model_dump(mode="json"))
        if (
            config.search.ratio[0] == 0.0
        ):  # the no-augmentation baseline comes first, so every study can be compared with it
            w_low, w_high = config.search.weight
            study.enqueue_trial({"weight": (w_low + w_high) / 2, "ratio": 0.0}, user_attrs={"baseline": True})

    for split in ("train", "val", "test"):
        log(f"{split:<5} " + ", ".join(f"{c} {splits.count(split, c)}" for c in splits.classes()))

    plan = PairPlan(
        mode=config.pairs.mode,
        target_class=config.target_class,
        num_pairs=config.pairs.num_pairs,
        seed=config.pairs.seed,
        fps=config.pairs.fps,
    )
    # Pairs come from TRAIN clips only: a synthetic clip made from a val/test clip would leak the answer.
    train_target = [c.path for c in splits.train if c.label == config.target_class]
    synthetic = iter_pose_files(config.data.synthetic) if config.data.synthetic else []
    if plan.mode == "real-synth" and not synthetic:
        raise ConfigError(f"data.synthetic: real-synth pairs need a folder of generated motions, got {synthetic}")
    bank = build_pair_bank(paths.pairs, plan, train_target, synthetic)
    log(f"pair bank: {len(bank)} pairs {'loaded from disk' if bank.from_cache else 'computed'} ({paths.pairs})")

    settings = render_settings(config, device)
    real = render_real_splits(paths.real, splits, settings, seed=config.split_seed)
    log(
        f"real clips: {len(real.records)} videos {'loaded from disk' if real.from_cache else 'rendered'} ({paths.real})"
    )

    return PreparedStudy(config, paths, splits, bank, real, settings, study)


def make_scorer(config: StudyConfig, device: str = "auto") -> Scorer:
    """The study's scorer, ready to run: for TAO its preflight (daemon, image, executable, model, key) has passed,
    so a setup problem is one error before the first trial, not three failed trials."""
    from optimizer.scoring import EmbeddedScorer

    s = config.scorer
    if s.kind == "tao":
        from optimizer.scoring.tao import TaoScorer

        assert s.tao is not None  # ScorerConfig fills the defaults for kind tao
        scorer = TaoScorer.from_config(s.tao, study=config.name)
        scorer.preflight()
        return scorer
    return EmbeddedScorer(
        epochs=s.epochs, frames=s.frames, size=s.size, batch_size=s.batch_size, lr=s.lr, device=device
    )
