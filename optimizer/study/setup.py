"""A study's one-time setup: splits, pair bank, real renders, the Optuna storage and study. Re-running loads them."""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import optuna
from optuna.storages import JournalStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.storages.journal import JournalFileBackend

from generation.dataset import (
    RealRenders,
    RenderSettings,
    Splits,
    TrialManifest,
    assemble_trial,
    render_real_splits,
)
from generation.pairs import PairBank, PairPlan, build_pair_bank
from generation.poses import iter_pose_files
from optimizer.config import ConfigError, StudyConfig
from optimizer.scoring import Scorer
from optimizer.study.recovery import GRACE_PERIOD_S, HEARTBEAT_INTERVAL_S, MAX_RETRY
from optimizer.study.samplers import make_pruner, make_sampler
from optimizer.study.storage_checks import check_sqlite, engine_connect_args, storage_errors
from optimizer.study.workspace import StudyPaths, split_real_clips
from optimizer.tracking import StudyTracker
from optimizer.urls import journal_path, psycopg2_url, public_url

SETUP_ATTR = "setup_complete"  # set once the pair bank and real renders exist: workers may start


@dataclass
class PreparedStudy:
    config: StudyConfig
    paths: StudyPaths
    splits: Splits
    bank: PairBank
    real: RealRenders
    settings: RenderSettings
    study: optuna.Study
    tracker: StudyTracker | None = None

    def assemble(self, directory: Path, *, weight: float, ratio: float, seed: int) -> TrialManifest:
        """A point's dataset in directory: the real splits plus its synthetic clips, drawn with seed."""
        cfg = self.config
        return assemble_trial(
            directory, self.real, self.bank, target_class=cfg.target_class, weight=weight, ratio=ratio,
            method=cfg.blend_method, settings=self.settings, seed=seed,
        )

    def drop_frames(self, directory: Path) -> None:
        """Frames are the heavy part and can be rebuilt from the manifest; keep manifest.json and result.json (unless
        keep_trial_data)."""
        if self.config.keep_trial_data:
            return
        for split in ("train", "val", "test"):
            shutil.rmtree(directory / split, ignore_errors=True)


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
        body=r.body,
        smpl_model_dir=str(r.smpl_model_dir) if r.smpl_model_dir is not None else None,
    )


def open_storage(url: str) -> optuna.storages.BaseStorage:
    """sqlite:///path or postgresql://... (RDB, with heartbeats) or journal:///path (a journal file: many processes
    on one machine, or on a filesystem with working locks)."""
    if (path := journal_path(url)) is not None:
        if not path.parent.is_dir():
            raise ConfigError(f"--storage: {url}: folder {path.parent} does not exist")
        return JournalStorage(JournalFileBackend(str(path)))
    if not url.startswith(("sqlite", "postgresql", "mysql")):
        raise ConfigError(f"--storage: {url!r} is not a storage URL (sqlite:///..., postgresql://..., journal:///...)")
    check_sqlite(url)
    given, url = url, psycopg2_url(url)
    engine_kwargs: dict = {"pool_pre_ping": True, "connect_args": engine_connect_args(url)}
    if url.startswith("sqlite"):  # several local workers on one file: wait for the lock instead of failing
        engine_kwargs = {"connect_args": {"timeout": 60}}
    with warnings.catch_warnings(), storage_errors(given):
        # Heartbeats are "experimental" in Optuna 5 yet the documented way to recover crashed trials.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=HEARTBEAT_INTERVAL_S,
            grace_period=GRACE_PERIOD_S,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY),
        )


def prepare_study(
    config: StudyConfig,
    *,
    paths: StudyPaths,
    storage: str | None = None,
    device: str = "auto",
    log=print,
    worker: bool = False,
    sampler_seed: int | None = None,
) -> PreparedStudy:
    """Everything trials share, computed once: a re-run loads the pair bank and the real renders from disk.

    Cheap checks and the storage come first, so a bad config or storage URL fails before any rendering. worker=True
    joins a study that `autosynthda setup` created (it never creates one: many workers creating the same study on a
    fresh database race); sampler_seed replaces search.seed for the sampler (each worker its own).
    """
    splits = split_real_clips(config)
    url = storage or paths.default_storage
    if storage is None:
        paths.root.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives there
    sampler = make_sampler(config.search.sampler, _sampler_seed(config, sampler_seed), config.search)
    pruner = make_pruner(config.search.pruner)
    if worker:
        study = _join_study(config.name, url, sampler, pruner)
    else:
        study = optuna.create_study(
            study_name=config.name, storage=open_storage(url), direction="maximize", sampler=sampler, pruner=pruner,
            load_if_exists=True,
        )
    paths.root.mkdir(parents=True, exist_ok=True)  # only now: a --storage that cannot be opened leaves no folder
    if not worker and not study.trials:
        study.set_user_attr("config", config.model_dump(mode="json"))
        if config.search.ratio[0] == 0.0:  # the no-augmentation baseline comes first: every study compares with it
            w_low, w_high = config.search.weight
            study.enqueue_trial({"weight": (w_low + w_high) / 2, "ratio": 0.0}, user_attrs={"baseline": True})
    tracker = StudyTracker.setup(config, paths.root, study, log=log) if config.tracking.enabled else None

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

    if not worker:
        study.set_user_attr(SETUP_ATTR, True)
    return PreparedStudy(config, paths, splits, bank, real, settings, study, tracker)


def _sampler_seed(config: StudyConfig, seed: int | None) -> int:
    # A finite-difference search keeps its state in the study and must draw the same points in every worker.
    if seed is None or config.search.sampler in ("legacy", "spsa"):
        return config.search.seed
    return seed


def _join_study(
    name: str, url: str, sampler: optuna.samplers.BaseSampler, pruner: optuna.pruners.BasePruner
) -> optuna.Study:
    hint = "run `autosynthda setup` with the same config and --storage first"
    try:
        study = optuna.load_study(study_name=name, storage=open_storage(url), sampler=sampler, pruner=pruner)
    except KeyError:
        raise ConfigError(f"--storage: {public_url(url)} has no study {name!r}; {hint}") from None
    if not study.user_attrs.get(SETUP_ATTR):
        raise ConfigError(f"--storage: study {name!r} in {public_url(url)} is not set up yet; {hint}")
    return study


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
    if s.kind == "standin":
        from optimizer.scoring.standin import StandInScorer

        return StandInScorer(s.standin_seconds)
    return EmbeddedScorer(
        epochs=s.epochs, frames=s.frames, size=s.size, batch_size=s.batch_size, lr=s.lr, device=device
    )
