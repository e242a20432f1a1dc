"""One trial: suggest (weight, ratio), assemble the trial's dataset, score it, keep the metrics, drop heavy files."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable

import optuna

from generation.dataset import TrialManifest
from optimizer.samplers import trial_crn_seed
from optimizer.scoring import Scorer, ScoringError, ScoringPruned, TrialDataset
from optimizer.study.hooks import NoHooks, TrialHooks
from optimizer.study.paths import StudyPaths
from optimizer.study.recovery import HEARTBEAT_INTERVAL_S, Heartbeat, uses_heartbeat_thread, worker_identity
from optimizer.study.setup import PreparedStudy
from optimizer.trials import PREVIEWS_DIR, RATIO, WEIGHT, UserAttr, retried_from


def trial_generation_seed(study_seed: int, trial_number: int) -> int:
    """A distinct, reproducible seed per trial for pair/view draws and rendering."""
    return study_seed * 100_003 + trial_number


class TrialObjective:
    """study.optimize's objective. hooks see the trial start and its dataset; what happens after the trial (review,
    the console line) belongs to Optuna callbacks, which are handed the finished trial."""

    def __init__(self, prepared: PreparedStudy, scorer: Scorer, stage: Callable[[str], None] = lambda s: None,
                 hooks: TrialHooks | None = None):
        self.prepared = prepared
        self.scorer = scorer
        self.stage = stage
        self.hooks = hooks or NoHooks()

    def __call__(self, trial: optuna.Trial) -> float:
        with contextlib.ExitStack() as stack:
            if uses_heartbeat_thread(trial.study):  # RDB storages beat by themselves
                stack.enter_context(Heartbeat(trial.study, trial._trial_id, HEARTBEAT_INTERVAL_S))
            return self._run(trial)

    def _run(self, trial: optuna.Trial) -> float:
        started = time.perf_counter()
        cfg, paths = self.prepared.config, self.prepared.paths
        trial.set_user_attr(UserAttr.WORKER, worker_identity())
        trial_dir = paths.trial_dir(trial.number)
        try:  # every failure, from the first suggest on, is recorded with its reason
            weight = trial.suggest_float(WEIGHT, *cfg.search.weight)
            ratio = trial.suggest_float(RATIO, *cfg.search.ratio)
            seed, scorer_seed = self._seeds(trial)
            trial.set_user_attr(UserAttr.TRIAL_DIR, str(trial_dir))
            self.hooks.trial_started(trial, self._run_params(weight, ratio, seed, scorer_seed))
            manifest = _resume(trial, paths, weight, ratio, seed)
            if manifest is None:
                self.stage("generate + render")
                manifest = self.prepared.assemble(trial_dir, weight=weight, ratio=ratio, seed=seed)
            self.hooks.dataset_ready(trial_dir, manifest)
            self.stage("train + evaluate")
            result = self.scorer.score(
                TrialDataset.from_manifest(trial_dir),
                seed=scorer_seed,
                report=lambda epoch, value: _report(trial, epoch, value),
            )
        except ScoringPruned:
            self.prepared.drop_frames(trial_dir)
            raise optuna.TrialPruned() from None
        except KeyboardInterrupt:
            trial.set_user_attr(UserAttr.FAIL_REASON, "interrupted")  # Ctrl-C, not a failure of this (weight, ratio)
            self.prepared.drop_frames(trial_dir)
            raise
        except Exception as exc:
            trial.set_user_attr(UserAttr.FAIL_REASON, " ".join(f"{type(exc).__name__}: {exc}".split())[:500])
            if isinstance(exc, ScoringError) and exc.log_tail:  # a tool's (TAO's) last log lines
                trial.set_user_attr(UserAttr.LOG_TAIL, exc.log_tail)
            self.prepared.drop_frames(trial_dir)  # the manifest and logs explain it; frames are heavy
            raise
        timings = manifest.extra["timings"]
        stages = {
            "generation_s": timings["generation_s"],
            "render_s": timings["render_s"] + timings["link_s"],
            "train_s": result.train_seconds,
            "eval_s": result.eval_seconds,
        }
        value = result.metric(cfg.metric)
        (trial_dir / "result.json").write_text(json.dumps(result.to_dict(), indent=1))
        self.prepared.drop_frames(trial_dir)
        stages["overhead_s"] = max(0.0, time.perf_counter() - started - sum(stages.values()))
        trial.set_user_attr(UserAttr.METRICS, {k: v for k, v in result.to_dict().items() if isinstance(v, float | int)})
        trial.set_user_attr(UserAttr.PER_CLASS_RECALL, result.per_class_recall)
        trial.set_user_attr(UserAttr.SYNTHETIC_CLIPS, manifest.count("train", kind="synthetic"))
        trial.set_user_attr(UserAttr.TIMINGS, stages)
        return value

    def _seeds(self, trial: optuna.Trial) -> tuple[int, int]:
        """The seeds of the trial's pair/view draws and rendering, and of its training; kept in the trial, so a
        retry (which inherits them) makes the same clips and trains the same way. They are two writes: a trial
        killed between them leaves its retry the first, and the retry writes the second."""
        crn = trial_crn_seed(trial)  # set by the finite-difference sampler: the +h and -h probes share it
        cfg = self.prepared.config
        fresh = {
            UserAttr.GENERATION_SEED: trial_generation_seed(cfg.search.seed, trial.number) if crn is None else crn,
            UserAttr.SCORER_SEED: cfg.scorer.seed if crn is None else crn,
        }
        attrs = trial.user_attrs  # one storage read (a copy)
        for key, value in fresh.items():
            if key not in attrs:
                trial.set_user_attr(key, value)
                attrs[key] = value
        return int(attrs[UserAttr.GENERATION_SEED]), int(attrs[UserAttr.SCORER_SEED])

    def _run_params(self, weight: float, ratio: float, seed: int, scorer_seed: int) -> dict[str, object]:
        cfg = self.prepared.config
        return {
            WEIGHT: weight, RATIO: ratio, "blend_method": cfg.blend_method, "target_class": cfg.target_class,
            "render": cfg.render.model_dump(mode="json"),
            "seeds": {"generation": seed, "scorer": scorer_seed, "split": cfg.split_seed, "pairs": cfg.pairs.seed},
            "scorer": cfg.scorer.model_dump(mode="json", exclude_none=True),
        }


def _resume(trial: optuna.Trial, paths: StudyPaths, weight: float, ratio: float, seed: int) -> TrialManifest | None:
    """A retried trial takes over its predecessor's dataset when that one was fully written (trial folders appear
    by rename, so a manifest means complete) for the same params and seed; the scorer's partial output is dropped."""
    frozen = trial.study._storage.get_trial(trial._trial_id)  # noqa: SLF001 - system attrs name the retried trial
    previous = retried_from(frozen)
    if previous is None:
        return None
    old, new = paths.trial_dir(previous), paths.trial_dir(trial.number)
    try:
        manifest = TrialManifest.read(old)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    same = (manifest.weight, manifest.ratio, manifest.seed) == (weight, ratio, seed)
    if not same or not (old / "train").is_dir() or new.exists():
        return None
    for partial in ("tao", "result.json", PREVIEWS_DIR):
        target = old / partial
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    old.rename(new)
    return manifest


def _report(trial: optuna.Trial, epoch: int, value: float) -> bool:
    trial.report(value, epoch)
    return trial.should_prune()
