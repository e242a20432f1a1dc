"""One trial: suggest (weight, ratio), assemble the trial's dataset, score it, keep the metrics, drop heavy files."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable

import optuna

from generation.dataset import assemble_trial
from optimizer.samplers import trial_crn_seed
from optimizer.scoring import Scorer, ScoringPruned, TrialDataset
from optimizer.study.recovery import WORKER_ATTR, worker_identity
from optimizer.study.setup import PreparedStudy

STAGES = ("generation_s", "render_s", "train_s", "eval_s", "overhead_s")


def generation_seed(study_seed: int, trial_number: int) -> int:
    """A distinct, reproducible seed per trial for pair/view draws and rendering."""
    return study_seed * 100_003 + trial_number


class TrialObjective:
    def __init__(self, prepared: PreparedStudy, scorer: Scorer, stage: Callable[[str], None] = lambda s: None):
        self.prepared = prepared
        self.scorer = scorer
        self.stage = stage
        self.last_number = -1

    def __call__(self, trial: optuna.Trial) -> float:
        started = time.perf_counter()
        self.last_number = trial.number
        cfg, paths = self.prepared.config, self.prepared.paths
        trial.set_user_attr(WORKER_ATTR, worker_identity())
        weight = trial.suggest_float("weight", *cfg.search.weight)
        ratio = trial.suggest_float("ratio", *cfg.search.ratio)
        crn = trial_crn_seed(trial)  # set by the finite-difference sampler: the +h and -h probes share it
        seed = generation_seed(cfg.search.seed, trial.number) if crn is None else crn
        trial_dir = paths.trial_dir(trial.number)
        try:
            self.stage("generate + render")
            manifest = assemble_trial(
                trial_dir,
                self.prepared.real,
                self.prepared.bank,
                target_class=cfg.target_class,
                weight=weight,
                ratio=ratio,
                method=cfg.blend_method,
                settings=self.prepared.settings,
                seed=seed,
            )
            self.stage("train + evaluate")
            result = self.scorer.score(
                TrialDataset.from_manifest(trial_dir),
                seed=cfg.scorer.seed if crn is None else crn,
                report=lambda epoch, value: _report(trial, epoch, value),
            )
        except ScoringPruned:
            _drop_frames(trial_dir, keep=cfg.keep_trial_data)
            raise optuna.TrialPruned() from None
        except Exception as exc:
            trial.set_user_attr("fail_reason", " ".join(f"{type(exc).__name__}: {exc}".split())[:500])
            if getattr(exc, "log_tail", ""):  # a scorer that ran a tool (TAO) attaches its last log lines
                trial.set_user_attr("log_tail", exc.log_tail)
            _drop_frames(trial_dir, keep=cfg.keep_trial_data)  # the manifest and logs explain it; frames are heavy
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
        _drop_frames(trial_dir, keep=cfg.keep_trial_data)
        stages["overhead_s"] = max(0.0, time.perf_counter() - started - sum(stages.values()))
        trial.set_user_attr("metrics", {k: v for k, v in result.to_dict().items() if isinstance(v, float | int)})
        trial.set_user_attr("per_class_recall", result.per_class_recall)
        trial.set_user_attr("synthetic_clips", manifest.count("train", kind="synthetic"))
        trial.set_user_attr("timings", stages)
        trial.set_user_attr("trial_dir", str(trial_dir))
        return value


def _report(trial: optuna.Trial, epoch: int, value: float) -> bool:
    trial.report(value, epoch)
    return trial.should_prune()


def _drop_frames(trial_dir, *, keep: bool) -> None:
    """Frames are the heavy part and can be rebuilt from the manifest; keep manifest.json and result.json."""
    if keep:
        return
    for split in ("train", "val", "test"):
        shutil.rmtree(trial_dir / split, ignore_errors=True)
