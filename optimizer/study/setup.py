"""A study's one-time preparation: splits, pair bank, real renders, the Optuna study. Re-running loads them."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import optuna

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
from optimizer.config import StudyConfig
from optimizer.errors import ConfigError
from optimizer.samplers import make_pruner, make_sampler
from optimizer.samplers.factory import FINITE_DIFFERENCE
from optimizer.study.leftovers import clean_leftovers
from optimizer.study.paths import StudyPaths
from optimizer.study.recovery import reap
from optimizer.study.storage import open_storage
from optimizer.study.workspace import split_real_clips
from optimizer.trials import RATIO, WEIGHT, StudyAttr, UserAttr
from optimizer.urls import public_url

if TYPE_CHECKING:
    from generation.videos.look import SourceLook
    from optimizer.tracking import StudyTracker


@dataclass
class PreparedStudy:
    config: StudyConfig
    paths: StudyPaths
    splits: Splits
    bank: PairBank
    real: RealRenders
    settings: RenderSettings
    study: optuna.Study
    tracker: StudyTracker | None = None  # MLflow review: an Optuna callback and the objective's hooks
    looks: Mapping[str, SourceLook] | None = None  # a video study: its train videos' geometry, camera and plate

    def assemble(self, directory: Path, *, weight: float, ratio: float, seed: int) -> TrialManifest:
        """A point's dataset in directory: the real splits plus its synthetic clips, drawn with seed (trials,
        selection and export all build theirs here, so a video study's looks reach each of them)."""
        cfg = self.config
        looks = {} if self.looks is None else {"looks": self.looks}  # a pose study calls exactly as before
        return assemble_trial(
            directory, self.real, self.bank, target_class=cfg.target_class, weight=weight, ratio=ratio,
            method=cfg.blend_method, settings=self.settings, seed=seed, **looks,
        )

    def drop_frames(self, directory: Path) -> None:
        """Frames are the heavy part and can be rebuilt from the manifest; keep manifest.json and result.json (unless
        keep_trial_data)."""
        if self.config.keep_trial_data:
            return
        for split in ("train", "val", "test"):
            shutil.rmtree(directory / split, ignore_errors=True)


def prepare_study(
    config: StudyConfig,
    *,
    paths: StudyPaths,
    storage: str | None = None,
    device: str = "auto",
    log=print,
    join_only: bool = False,
    sampler_seed: int | None = None,
) -> PreparedStudy:
    """Everything trials share, computed once: a re-run loads the pair bank and the real renders from disk.

    Cheap checks and the storage come first, so a bad config or storage URL fails before any rendering. join_only
    joins a study that `autosynthda setup` created and never creates one (workers: many creating the same study on a
    fresh database race; export: reading a study never creates it); sampler_seed replaces search.seed for the
    sampler (each worker its own).
    """
    videos = None
    if config.data.is_video:
        from optimizer.study.videos import find_videos  # PyAV: only for a video study

        videos = find_videos(config, log=log)
        splits = videos.splits
    else:
        splits = split_real_clips(config)
    url = storage or paths.default_storage
    if storage is None:
        paths.root.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives there
    sampler, pruner = study_sampler(config, sampler_seed), make_pruner(config.search.pruner)
    if join_only:
        study = _join_study(config.name, url, sampler, pruner)
    else:
        study = optuna.create_study(
            study_name=config.name, storage=open_storage(url), direction="maximize", sampler=sampler, pruner=pruner,
            load_if_exists=True,
        )
    paths.root.mkdir(parents=True, exist_ok=True)  # only now: a --storage that cannot be opened leaves no folder
    if not join_only and not study.trials:
        study.set_user_attr(StudyAttr.CONFIG, config.model_dump(mode="json"))
        if config.search.ratio[0] == 0.0:  # the no-augmentation baseline comes first: every study compares with it
            w_low, w_high = config.search.weight
            study.enqueue_trial({WEIGHT: (w_low + w_high) / 2, RATIO: 0.0}, user_attrs={UserAttr.BASELINE: True})
    # Before anything is written here: partial folders of killed writers would be taken for clips (and rejected).
    clean_leftovers(study, paths, keep_trial_data=config.keep_trial_data, log=log)
    tracker = None
    if config.tracking.enabled:
        from optimizer.tracking import StudyTracker  # MLflow is heavy: only when tracking

        tracker = StudyTracker.setup(config, paths.root, study, log=log)

    for split in ("train", "val", "test"):
        log(f"{split:<5} " + ", ".join(f"{c} {splits.count(split, c)}" for c in splits.classes()))

    settings = config.render.settings(device)
    video_study = None
    if videos is not None:
        from optimizer.study.videos import prepare_videos

        video_study = prepare_videos(config, paths, videos, log=log)
    plan = PairPlan(
        mode=config.pairs.mode,
        target_class=config.target_class,
        num_pairs=config.pairs.num_pairs,
        seed=config.pairs.seed,
        # a video study's pairs run at the real frames' rate, so real and synthetic motion run at the same speed
        fps=config.pairs.fps if video_study is None else video_study.fps,
    )
    # Pairs come from TRAIN clips only: a synthetic clip made from a val/test clip would leak the answer.
    if video_study is None:
        train_target = [c.path for c in splits.train if c.label == config.target_class]
    else:
        train_target = video_study.pose_files
    synthetic = iter_pose_files(config.data.synthetic) if config.data.synthetic else []
    if plan.mode == "real-synth" and not synthetic:
        raise ConfigError(f"data.synthetic: real-synth pairs need a folder of generated motions, got {synthetic}")
    # a video study's pairs name the videos their poses came from: the leak check and the looks compare videos
    sources = {} if video_study is None else {"sources": video_study.sources}
    bank = build_pair_bank(paths.pairs, plan, train_target, synthetic, **sources)
    log(f"pair bank: {len(bank)} pairs {'loaded from disk' if bank.from_cache else 'computed'} ({paths.pairs})")

    if video_study is None:
        real = render_real_splits(paths.real, splits, settings, seed=config.split_seed)
        log(f"real clips: {len(real.records)} videos {'loaded from disk' if real.from_cache else 'rendered'} "
            f"({paths.real})")
    else:
        real = video_study.real

    if not join_only:
        study.set_user_attr(StudyAttr.SETUP_COMPLETE, True)
    looks = None if video_study is None else video_study.looks
    return PreparedStudy(config, paths, splits, bank, real, settings, study, tracker, looks)


def study_sampler(config: StudyConfig, seed: int | None = None) -> optuna.samplers.BaseSampler:
    """The study's sampler; seed replaces search.seed (each worker its own), except for a finite-difference search,
    which keeps its state in the study and must draw the same points in every worker. Those reap the trials of dead
    workers while they wait for a probe in flight."""
    if seed is None or config.search.sampler in FINITE_DIFFERENCE:
        seed = config.search.seed
    return make_sampler(config.search.sampler, seed, config.search, reap=reap)


def _join_study(
    name: str, url: str, sampler: optuna.samplers.BaseSampler, pruner: optuna.pruners.BasePruner
) -> optuna.Study:
    hint = "run `autosynthda setup` with the same config and --storage first"
    try:
        study = optuna.load_study(study_name=name, storage=open_storage(url), sampler=sampler, pruner=pruner)
    except KeyError:
        raise ConfigError(f"--storage: {public_url(url)} has no study {name!r}; {hint}") from None
    if not study.user_attrs.get(StudyAttr.SETUP_COMPLETE):
        raise ConfigError(f"--storage: study {name!r} in {public_url(url)} is not set up yet; {hint}")
    return study
