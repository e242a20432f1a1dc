"""Export a trial's augmented dataset for production training: train (real + the trial's synthetic clips) and the
real val/test splits in TAO's layout, its manifest, and a README with the trial's weight, ratio and scores.

Trials delete their frames after scoring, so the export draws them again from the manifest's recipe: the same pair
bank, weight, ratio, method and seed give the same clips (rendering is deterministic for a seed); the synthetic
clip list is checked against the trial's stored manifest.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from generation.atomic import partial_sibling
from generation.dataset import LayoutReport, TrialManifest, check_tao_layout
from generation.errors import AutoSynthDaError
from generation.partials import sweep_siblings
from optimizer.evidence import comparisons
from optimizer.samplers import trial_crn_seed
from optimizer.study.objective import trial_generation_seed
from optimizer.study.setup import PreparedStudy
from optimizer.trials import StudyAttr, TrialRecord


class ExportError(AutoSynthDaError, ValueError):
    """The asked trial cannot be exported (absent, not complete) or the output folder is in the way."""


def pick_trial(study: optuna.Study, number: int | None) -> FrozenTrial:
    """Trial `number`, or the best completed one."""
    if number is None:
        done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not done:
            raise ExportError(f"study {study.study_name}: --trial: no completed trial to export yet")
        return study.best_trial
    trials = study.get_trials(deepcopy=False)
    if not 0 <= number < len(trials):
        raise ExportError(f"study {study.study_name}: --trial: no trial {number} (the study has {len(trials)})")
    trial = trials[number]
    if trial.state != TrialState.COMPLETE:
        raise ExportError(f"study {study.study_name}: --trial: trial {number} is {trial.state.name}, not COMPLETE")
    return trial


def trial_seed(prepared: PreparedStudy, trial: FrozenTrial) -> int:
    record = TrialRecord.from_frozen(trial)
    if record.generation_seed is not None:
        return record.generation_seed
    crn = trial_crn_seed(trial)  # trials from before the seed was stored
    return trial_generation_seed(prepared.config.search.seed, trial.number) if crn is None else crn


def export_trial(prepared: PreparedStudy, trial: FrozenTrial, out: Path) -> tuple[TrialManifest, LayoutReport]:
    """Write the trial's dataset to `out` (which must not exist or be empty), all or nothing."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out}: --out: exists and is not an empty folder; choose another or remove it")
    record = TrialRecord.from_frozen(trial)
    weight, ratio = record.weight, record.ratio
    sweep_siblings(out)  # a killed export's staging folder (its owner is dead); a live one's stays
    staging = partial_sibling(out)
    try:
        manifest = prepared.assemble(staging, weight=weight, ratio=ratio, seed=trial_seed(prepared, trial))
        _check_same_clips(manifest, prepared.paths.trial_dir(trial.number))
        report = check_tao_layout(staging / "train", manifest.label_map)
        for split in ("val", "test"):
            check_tao_layout(staging / split, manifest.label_map)
        (staging / "README.md").write_text(readme(prepared, trial, manifest, report))
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest, report


def _check_same_clips(manifest: TrialManifest, trial_dir: Path) -> None:
    try:
        original = TrialManifest.read(trial_dir)
    except (OSError, ValueError, KeyError, TypeError):
        return  # the trial folder was removed: nothing to compare with
    key = [(c.video, c.pair, c.view, c.seed) for c in manifest.clips if c.kind == "synthetic"]
    old = [(c.video, c.pair, c.view, c.seed) for c in original.clips if c.kind == "synthetic"]
    if key != old:
        raise ExportError(f"{trial_dir}: manifest.json: the re-drawn synthetic clips differ from the trial's "
                          "(the pair bank or render settings changed since the trial ran)")


def readme(prepared: PreparedStudy, trial: FrozenTrial, manifest: TrialManifest, report: LayoutReport) -> str:
    cfg = prepared.config
    record = TrialRecord.from_frozen(trial)
    metrics = record.metrics
    lines = [
        f"# {cfg.name}: trial {trial.number}, augmented for class `{cfg.target_class}`",
        "",
        f"- blend weight w = {record.weight:.4f}, synthetic ratio r = {record.ratio:.4f} "
        f"({manifest.count('train', kind='synthetic')} synthetic clips in train/{cfg.target_class}/)",
        f"- blend method {manifest.method}, generation seed {manifest.seed}, scorer {cfg.scorer.kind}",
        f"- study metric {cfg.metric}: {trial.value:.4f} (test split, one training run)",
    ]
    lines += [f"- {k}: {v:.4f}" for k, v in sorted(metrics.items()) if k in ("accuracy", "mean_class_accuracy")]
    lines += _selection_lines(prepared.study, trial)
    lines += ["", "| split | " + " | ".join(manifest.label_map) + " |", "|---|" + "---:|" * len(manifest.label_map)]
    for split in ("train", "val", "test"):
        lines.append(f"| {split} | " + " | ".join(str(manifest.count(split, c)) for c in manifest.label_map) + " |")
    lines += [
        "",
        f"Layout: TAO action_recognition (`<split>/<class>/<video>/rgb/000000.{cfg.render.format}`); val and test are "
        "real clips only, "
        "and no synthetic clip was made from a val or test clip (checked when the set was built).",
        f"Label map: `{json.dumps(manifest.label_map)}`; at least {report.min_frames} frames per training video.",
        "`manifest.json` lists every clip with its source pair, weight, view and seed.",
        "",
    ]
    return "\n".join(lines)


def _selection_lines(study: optuna.Study, trial: FrozenTrial) -> list[str]:
    """The final selection's interval for this point, and every verdict of the selection (this point against no
    augmentation and SynthDa's choice, paired by seed), so the dataset carries the evidence it was chosen on."""
    summary = study.user_attrs.get(StudyAttr.FINAL_SELECTION) or {}
    record = TrialRecord.from_frozen(trial)
    point = (round(record.weight, 3), round(record.ratio, 3))
    lines = []
    for c in summary.get("candidates", []):
        if (c["weight"], c["ratio"]) == point and c.get("ci95"):
            low, high = c["ci95"]
            lines = [f"- final selection: mean {c['mean']:.4f}, 95% CI [{low:.4f}, {high:.4f}] over "
                     f"{len(c['values'])} fresh seeds"]
            fpr = ((c.get("stats") or {}).get("fpr") or [None])[0]
            if fpr is not None:
                lines.append(f"- false-positive rate of the target class: {fpr:.4f} (mean over the seeds: other "
                             "classes' test clips predicted as the target)")
    if not lines:
        return ["- no final selection covers this point (run `autosynthda select` for a confidence interval)"]
    verdicts = [d["verdict"] for d in comparisons(summary)]
    if verdicts:
        lines += ["", "Final selection, paired by seed (95% CI: Student t on the per-seed differences):", ""]
        lines += [f"- {v}" for v in verdicts]
    return lines
