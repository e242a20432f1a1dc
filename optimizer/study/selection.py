"""Final selection: the best few (weight, ratio) and two reference arms re-evaluated with the same fresh seeds.

A single noisy trial is a poor basis for the final choice: the best of many noisy values is biased upward. Each
candidate is scored again with seeds no trial used, and so are two reference arms: `none` (ratio 0, the real data
alone) and `synthda` (SynthDa's own choice: weight 0.5, or the legacy search's answer, at SynthDa's amount of one
synthetic clip per pair of the bank). Seed i is the same in every arm (for generation and for training, as a
finite-difference probe pair shares its seed), so each candidate is compared with each reference on paired
differences (optimizer.evidence). Results are stored in the study (user attr "final_selection") after every
evaluation, so an interrupted selection resumes; summaries written before the reference arms existed stay readable.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import optuna
from optuna.trial import TrialState

from optimizer.evidence import comparisons, t_interval
from optimizer.scoring import Scorer, TrialDataset
from optimizer.trials import RATIO, WEIGHT, StudyAttr, TrialRecord

if TYPE_CHECKING:
    from optimizer.study.setup import PreparedStudy

SELECTION_ATTR = StudyAttr.FINAL_SELECTION

__all__ = ["FRESH_SEED_BASE", "SELECTION_ATTR", "Candidate", "candidates", "comparisons", "format_selection",
           "reference_arms", "run_selection", "study_evaluator", "study_references", "t_interval"]

FRESH_SEED_BASE = 2**31  # above every seed a trial draws (31-bit CRN seeds, study_seed * 100_003 + trial number)
MEASURES = ("recall", "precision", "f1", "fpr")  # of the target class, per evaluation
VERSION = 2  # 1 (no version key): candidates with values only

# evaluate(weight, ratio, seed) -> {"value": the study metric, "recall": ..., "precision": ..., "f1": ..., "fpr": ...}
# (NaN where unknown); a bare float is the value alone.
Evaluate = Callable[[float, float, int], "dict[str, float] | float"]


@dataclass(frozen=True)
class Candidate:
    weight: float
    ratio: float
    source: str
    arm: str = "candidate"  # or a reference arm: "none", "synthda"

    @property
    def label(self) -> str:
        return self.arm if self.arm != "candidate" else f"w {self.weight:.2f} r {self.ratio:.2f}"


def candidates(study: optuna.Study, top: int) -> list[Candidate]:
    """A finite-difference sampler's recommendation first (SPSA's iterate is never a trial itself), then the best
    completed trials, one per distinct (weight, ratio), up to `top` in all. Ratio 0 is left to the `none` arm."""
    found: list[Candidate] = []
    seen: set[tuple[float, float]] = set()

    def add(weight: float, ratio: float, source: str) -> None:
        point = (round(weight, 3), round(ratio, 3))
        if point not in seen and point[1] > 0 and len(found) < top:
            seen.add(point)
            found.append(Candidate(point[0], point[1], source))

    state = study.user_attrs.get(StudyAttr.SAMPLER_STATE) or {}
    recommendation = state.get("recommendation") or {}
    if WEIGHT in recommendation and RATIO in recommendation:
        add(recommendation[WEIGHT], recommendation[RATIO], f"{state.get('mode', 'sampler')} recommendation")
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    reverse = study.direction == optuna.study.StudyDirection.MAXIMIZE
    for trial in sorted(done, key=lambda t: (t.value, -t.number), reverse=reverse):
        record = TrialRecord.from_frozen(trial)
        if record.has_point:
            add(record.weight, record.ratio, f"trial {trial.number}")
    return found


def reference_arms(
    study: optuna.Study, *, none_weight: float, n_pairs: int, target_train_clips: int, synthda_weight: float = 0.5
) -> list[Candidate]:
    """`none` (ratio 0; its weight is unused, none_weight as the baseline trial's) and `synthda`: weight 0.5 (or the
    legacy search's answer when the study ran it) at one synthetic clip per pair, i.e. ratio n_pairs / real TRAIN
    clips of the target. Without pairs there is no synthda arm."""
    arms = [Candidate(round(none_weight, 3), 0.0, "ratio 0: the real data alone", "none")]
    if n_pairs < 1 or target_train_clips < 1:
        return arms
    state = study.user_attrs.get(StudyAttr.SAMPLER_STATE) or {}
    weight, why = synthda_weight, f"SynthDa's start weight {synthda_weight:g}"
    answer = (state.get("recommendation") or {}).get(WEIGHT)
    if state.get("mode") == "legacy" and answer is not None:
        weight, why = round(float(answer), 3), "the legacy search's answer"
    ratio = n_pairs / target_train_clips
    amount = (f"one clip per pair: {n_pairs} clip{'s' if n_pairs != 1 else ''} for {target_train_clips} real train "
              f"clip{'s' if target_train_clips != 1 else ''}")
    arms.append(Candidate(weight, ratio, f"{why}, {amount}", "synthda"))
    return arms


def study_references(prepared: PreparedStudy) -> list[Candidate]:
    cfg = prepared.config
    return reference_arms(
        prepared.study, none_weight=sum(cfg.search.weight) / 2, n_pairs=len(prepared.bank),
        target_train_clips=prepared.real.train_clips(cfg.target_class), synthda_weight=cfg.search.legacy.start,
    )


def _row(arm: Candidate) -> dict[str, object]:
    return {"weight": arm.weight, "ratio": arm.ratio, "source": arm.source, "arm": arm.arm, "label": arm.label,
            "seeds": [], "values": [], "measures": []}


def _as_measures(result: dict[str, float] | float) -> tuple[float, dict[str, float | None]]:
    if not isinstance(result, dict):
        return float(result), dict.fromkeys(MEASURES)
    return float(result["value"]), {k: _none_if_nan(result.get(k)) for k in MEASURES}


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _summarise(row: dict) -> None:
    mean, low, high = t_interval(row["values"])
    row.update(mean=mean, ci95=[low, high])
    # NaN (a measure no seed could compute, an interval of one seed) is stored as None: strict JSON has no NaN
    row["stats"] = {k: [_none_if_nan(v) for v in t_interval([m.get(k) for m in row["measures"]])] for k in MEASURES}


def _stored(summary: dict | None) -> dict[tuple[float, float, int], tuple[float, dict]]:
    """(weight, ratio, seed) -> (value, measures) of every stored evaluation with measures (a version-1 summary
    stored the value alone: those points are evaluated again, for the measures)."""
    out: dict[tuple[float, float, int], tuple[float, dict]] = {}
    for row in (summary or {}).get("candidates", []) + (summary or {}).get("references", []):
        for seed, value, measures in zip(row.get("seeds", []), row.get("values", []), row.get("measures", [])):
            out[(row["weight"], row["ratio"], seed)] = (value, measures)
    return out


def run_selection(
    study: optuna.Study,
    evaluate: Evaluate,
    *,
    top: int,
    seeds: int,
    metric: str,
    references: Sequence[Candidate] = (),
    log: Callable[[str], None] = print,
) -> dict[str, object]:
    """Evaluate every arm with seeds FRESH_SEED_BASE + 0..seeds-1, seed by seed (an interruption leaves the arms
    paired on the seeds done), and store the summary in the study after each evaluation."""
    chosen = candidates(study, top)
    if not chosen:
        raise ValueError("no completed trial with a weight and a ratio > 0 to select from")
    seed_list = [FRESH_SEED_BASE + i for i in range(seeds)]
    done = _stored(study.user_attrs.get(SELECTION_ATTR))
    rows = [_row(c) for c in chosen]
    refs = [_row(c) for c in references]
    summary: dict[str, object] = {"version": VERSION, "metric": metric, "seeds": seed_list, "candidates": rows,
                                  "references": refs, "chosen": None}
    for seed in seed_list:
        for row in rows + refs:
            key = (row["weight"], row["ratio"], seed)
            if key not in done:
                log(f"selection: {row['label']} ({row['source']}) seed {seed}")
                done[key] = _as_measures(evaluate(float(row["weight"]), float(row["ratio"]), seed))
            value, measures = done[key]
            row["seeds"].append(seed)
            row["values"].append(value)
            row["measures"].append(measures)
            _summarise(row)
            study.set_user_attr(SELECTION_ATTR, summary)  # after each value: an interrupted selection resumes
    sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
    summary["chosen"] = max(range(len(rows)), key=lambda i: sign * float(rows[i]["mean"]))
    study.set_user_attr(SELECTION_ATTR, summary)
    return summary


def _ci(stat: list[float | None] | None) -> str:
    mean, low, high = (math.nan if v is None else v for v in (stat or (None, None, None)))
    if not math.isfinite(mean):
        return f"{'-':>17}"
    if not math.isfinite(low):
        return f"{mean:.3f}{'':>12}"
    return f"{mean:.3f} [{low:.2f},{high:.2f}]"


def format_selection(summary: dict[str, object] | None) -> str:
    if not summary:
        return ""
    n = len(summary["seeds"])
    refs = summary.get("references") or []
    if not refs:  # a version-1 summary: candidates only
        lines = [f"final selection ({summary['metric']}, {n} fresh seeds each, mean [95% CI]):"]
        for i, row in enumerate(summary["candidates"]):
            low, high = row.get("ci95", [math.nan, math.nan])
            mark = "*" if i == summary.get("chosen") else " "
            values = ", ".join(f"{v:.3f}" for v in row["values"])
            lines.append(f" {mark} w={row['weight']:.3f} r={row['ratio']:.2f}  {row.get('mean', math.nan):.3f} "
                         f"[{low:.3f}, {high:.3f}]  ({row['source']}; {values})")
    else:
        lines = [f"final selection ({summary['metric']}; {n} fresh seeds, the same in every arm; mean [95% CI]; "
                 "recall .. fpr of the target class, fpr = other classes' clips predicted as it):",
                 f"   {'arm':<14} {'w':>5} {'r':>5} {'metric':>17} {'recall':>17} {'precision':>17} "
                 f"{'f1':>17} {'fpr':>17}  source"]
        for i, row in enumerate(summary["candidates"] + refs):
            mark = "*" if i == summary.get("chosen") else " "
            stats_ = row.get("stats") or {}
            cells = " ".join(_ci(stats_.get(k)) for k in MEASURES)
            lines.append(f" {mark} {row.get('label', ''):<14} {row['weight']:>5.3f} {row['ratio']:>5.2f} "
                         f"{_ci([row.get('mean', math.nan), *row.get('ci95', [math.nan, math.nan])])} {cells}  "
                         f"{row['source']} ({len(row['values'])} seeds)")
        lines.append("paired differences (candidate - reference per seed; 95% CI: Student t on the differences):")
        lines += [f"  {c['verdict']}" for c in comparisons(summary)]
    if summary.get("chosen") is None:
        lines.append("   (incomplete: run `autosynthda select` again to finish)")
    return "\n".join(lines)


def with_confusion(scorer: Scorer) -> Scorer:
    """The scorer with scorer.tao.confusion on (a TAO scorer; others always have their matrix): the selection
    reports precision and the false-positive rate, which need the full matrix."""
    settings = getattr(scorer, "settings", None)
    if getattr(settings, "confusion", None) is False:
        return dataclasses.replace(scorer, settings=settings.model_copy(update={"confusion": True}))
    return scorer


def study_evaluator(prepared: PreparedStudy, scorer: Scorer) -> Evaluate:
    """Score one (weight, ratio) as a trial would, with an explicit seed for generation and training, in
    studies/<name>/selection/; only manifest.json and result.json are kept. A TAO scorer runs with confusion on."""
    cfg, paths = prepared.config, prepared.paths
    scorer = with_confusion(scorer)

    def evaluate(weight: float, ratio: float, seed: int) -> dict[str, float]:
        directory = paths.root / "selection" / f"w{weight:.3f}_r{ratio:.4f}_s{seed}"
        shutil.rmtree(directory, ignore_errors=True)  # a half-written folder from an interrupted run
        prepared.assemble(directory, weight=weight, ratio=ratio, seed=seed)
        result = scorer.score(TrialDataset.from_manifest(directory), seed=seed)
        (directory / "result.json").write_text(json.dumps(result.to_dict(), indent=1))
        prepared.drop_frames(directory)
        return {"value": result.metric(cfg.metric), **result.target_measures()}

    return evaluate
