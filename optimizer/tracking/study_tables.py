"""The study as tables for review: completed trials, every trial as CSV, the final selection with its intervals."""

from __future__ import annotations

from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

from optimizer.trials import StudyAttr, TrialRecord


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config/params as dotted keys: {"search": {"seed": 0}} -> {"search.seed": 0}."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def completed_frame(study: optuna.Study) -> pd.DataFrame:
    """number, weight, ratio, value of every completed trial, by number."""
    records = map(TrialRecord.from_frozen, study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    rows = [{"number": t.number, "weight": t.weight, "ratio": t.ratio, "value": t.value}
            for t in records if t.value is not None and t.has_point]
    return pd.DataFrame(rows, columns=["number", "weight", "ratio", "value"]).sort_values("number", ignore_index=True)


def trials_csv(study: optuna.Study) -> str:
    """Every trial (any state) with params, value, scores, timings and failure reason, one row per trial."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        t = TrialRecord.from_frozen(trial)
        row: dict[str, Any] = {"number": t.number, "state": t.state.name, "value": t.value}
        row.update({f"param.{k}": v for k, v in trial.params.items()})
        row.update({f"metric.{k}": v for k, v in t.metrics.items()})
        row.update({f"recall.{k}": v for k, v in t.per_class_recall.items()})
        row.update({f"time.{k}": v for k, v in t.timings.items()})
        row.update(duration_s=t.duration_s, fail_reason=t.fail_reason or None, retry_of=t.retry_of)
        rows.append(row)
    return pd.DataFrame(rows).to_csv(index=False)


def selection_frame(study: optuna.Study) -> pd.DataFrame | None:
    """The final selection as one table, or None before a selection ran: a row per arm (candidates, then the
    reference arms) with the metric's mean and 95% CI and the target class's recall, precision, F1 and
    false-positive rate (mean and CI each), then a row per paired difference (candidate vs reference) with its CI,
    SD, seeds needed and verdict."""
    summary = study.user_attrs.get(StudyAttr.FINAL_SELECTION)
    if not summary or not summary.get("candidates"):
        return None
    return pd.DataFrame(selection_rows(summary))


def selection_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    from optimizer.evidence import comparisons

    rows: list[dict[str, Any]] = []
    arms = summary["candidates"] + (summary.get("references") or [])
    for i, c in enumerate(arms):
        low, high = (c.get("ci95") or [None, None])[:2]
        row = {"row": "arm", "arm": c.get("arm", "candidate"), "label": c.get("label"), "reference": None,
               "chosen": i == summary.get("chosen"), "weight": c["weight"], "ratio": c["ratio"],
               "source": c.get("source"), "n": len(c.get("values", [])), "mean": c.get("mean"), "ci95_low": low,
               "ci95_high": high}
        for name, (mean, m_low, m_high) in (c.get("stats") or {}).items():
            row.update({name: mean, f"{name}_ci95_low": m_low, f"{name}_ci95_high": m_high})
        row["values"] = " ".join(f"{v:.4f}" for v in c.get("values", []))
        rows.append(row)
    for d in comparisons(summary):
        rows.append({"row": "paired difference", "arm": "candidate", "label": d["label"], "reference": d["reference"],
                     "n": d["n"], "mean": d["mean"], "ci95_low": d["low"], "ci95_high": d["high"], "sd": d["sd"],
                     "seeds_needed": d["seeds_needed"], "verdict": d["verdict"]})
    return rows
