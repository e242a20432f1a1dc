"""Final selection: the best few (weight, ratio) re-evaluated with fresh seeds, reported as mean and 95% CI.

A single noisy trial is a poor basis for the final choice: the best of many noisy values is biased upward. Each
candidate is scored again with seeds no trial used, and the one with the best mean is chosen. Results are stored in
the study (user attr "final_selection") after every evaluation, so an interrupted selection resumes.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import optuna
from optuna.trial import TrialState

from optimizer.scoring import Scorer, TrialDataset
from optimizer.trials import RATIO, WEIGHT, StudyAttr, TrialRecord

if TYPE_CHECKING:
    from optimizer.study.setup import PreparedStudy

SELECTION_ATTR = StudyAttr.FINAL_SELECTION

FRESH_SEED_BASE = 2**31  # above every seed a trial draws (31-bit CRN seeds, study_seed * 100_003 + trial number)

Evaluate = Callable[[float, float, int], float]


@dataclass(frozen=True)
class Candidate:
    weight: float
    ratio: float
    source: str


def candidates(study: optuna.Study, top: int) -> list[Candidate]:
    """A finite-difference sampler's recommendation first (SPSA's iterate is never a trial itself), then the best
    completed trials, one per distinct (weight, ratio), up to `top` in all."""
    found: list[Candidate] = []
    seen: set[tuple[float, float]] = set()

    def add(weight: float, ratio: float, source: str) -> None:
        point = (round(weight, 3), round(ratio, 3))
        if point not in seen and len(found) < top:
            seen.add(point)
            found.append(Candidate(point[0], point[1], source))

    state = study.user_attrs.get(StudyAttr.SAMPLER_STATE) or {}
    recommendation = state.get("recommendation") or {}
    if WEIGHT in recommendation and RATIO in recommendation:
        add(recommendation[WEIGHT], recommendation[RATIO], f"{state.get('mode', 'sampler')} recommendation")
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    reverse = study.direction == optuna.study.StudyDirection.MAXIMIZE
    for trial in sorted(map(TrialRecord.from_frozen, done), key=lambda t: (t.value, -t.number), reverse=reverse):
        if trial.has_point:
            add(trial.weight, trial.ratio, f"trial {trial.number}")
    return found


def t_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two-sided Student-t interval; NaN bounds with fewer than two values."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, math.nan, math.nan
    from scipy import stats  # here: scipy takes a second to import, and `status` only formats

    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def run_selection(
    study: optuna.Study, evaluate: Evaluate, *, top: int, seeds: int, metric: str, log: Callable[[str], None] = print
) -> dict[str, object]:
    """Evaluate each candidate with seeds FRESH_SEED_BASE + 0..seeds-1 and store the summary in the study."""
    chosen = candidates(study, top)
    if not chosen:
        raise ValueError("no completed trial with a weight and a ratio to select from")
    seed_list = [FRESH_SEED_BASE + i for i in range(seeds)]
    earlier = {
        (c["weight"], c["ratio"], s): v
        for c in (study.user_attrs.get(SELECTION_ATTR) or {}).get("candidates", [])
        for s, v in zip(c.get("seeds", []), c.get("values", []))
    }
    rows: list[dict[str, object]] = [{**asdict(c), "seeds": [], "values": []} for c in chosen]
    summary: dict[str, object] = {"metric": metric, "seeds": seed_list, "candidates": rows, "chosen": None}
    for row in rows:
        for seed in seed_list:
            value = earlier.get((row["weight"], row["ratio"], seed))
            if value is None:
                log(f"selection: w={row['weight']:.3f} r={row['ratio']:.2f} ({row['source']}) seed {seed}")
                value = float(evaluate(float(row["weight"]), float(row["ratio"]), seed))
            row["seeds"].append(seed)
            row["values"].append(value)
            mean, low, high = t_interval(row["values"])
            row.update(mean=mean, ci95=[low, high])
            study.set_user_attr(SELECTION_ATTR, summary)  # after each value: an interrupted selection resumes
    sign = 1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else -1.0
    summary["chosen"] = max(range(len(rows)), key=lambda i: sign * float(rows[i]["mean"]))
    study.set_user_attr(SELECTION_ATTR, summary)
    return summary


def format_selection(summary: dict[str, object] | None) -> str:
    if not summary:
        return ""
    lines = [f"final selection ({summary['metric']}, {len(summary['seeds'])} fresh seeds each, mean [95% CI]):"]
    for i, row in enumerate(summary["candidates"]):
        low, high = row.get("ci95", [math.nan, math.nan])
        mark = "*" if i == summary.get("chosen") else " "
        values = ", ".join(f"{v:.3f}" for v in row["values"])
        lines.append(
            f" {mark} w={row['weight']:.3f} r={row['ratio']:.2f}  {row.get('mean', math.nan):.3f} "
            f"[{low:.3f}, {high:.3f}]  ({row['source']}; {values})"
        )
    if summary.get("chosen") is None:
        lines.append("   (incomplete: run `autosynthda select` again to finish)")
    return "\n".join(lines)


def study_evaluator(prepared: PreparedStudy, scorer: Scorer) -> Evaluate:
    """Score one (weight, ratio) as a trial would, with an explicit seed for generation and training, in
    studies/<name>/selection/; only manifest.json and result.json are kept."""
    cfg, paths = prepared.config, prepared.paths

    def evaluate(weight: float, ratio: float, seed: int) -> float:
        directory = paths.root / "selection" / f"w{weight:.3f}_r{ratio:.3f}_s{seed}"
        shutil.rmtree(directory, ignore_errors=True)  # a half-written folder from an interrupted run
        prepared.assemble(directory, weight=weight, ratio=ratio, seed=seed)
        result = scorer.score(TrialDataset.from_manifest(directory), seed=seed)
        (directory / "result.json").write_text(json.dumps(result.to_dict(), indent=1))
        prepared.drop_frames(directory)
        return result.metric(cfg.metric)

    return evaluate
