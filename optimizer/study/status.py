"""The trials of a study as a table: params, metrics, per-stage timings; the best trial marked."""

from __future__ import annotations

import optuna
import pandas as pd

from optimizer.samplers import STATE_ATTR
from optimizer.study.objective import STAGES
from optimizer.study.selection import SELECTION_ATTR, format_selection


def trials_table(study: optuna.Study) -> pd.DataFrame:
    best = None
    try:
        best = study.best_trial.number
    except ValueError:
        pass  # no completed trial yet
    rows = []
    for t in study.get_trials(deepcopy=False):
        metrics = t.user_attrs.get("metrics", {})
        timings = t.user_attrs.get("timings", {})
        duration = (
            (t.datetime_complete - t.datetime_start).total_seconds()
            if t.datetime_complete and t.datetime_start
            else None
        )
        row = {
            "trial": t.number,
            "best": "*" if t.number == best else "",
            "state": t.state.name,
            "weight": t.params.get("weight"),
            "ratio": t.params.get("ratio"),
            "synthetic": t.user_attrs.get("synthetic_clips"),
            "value": t.value,
            "accuracy": metrics.get("accuracy"),
            "mean_class_acc": metrics.get("mean_class_accuracy"),
            "duration_s": duration,
        }
        row.update({k.removesuffix("_s"): timings.get(k) for k in STAGES})
        notes = []
        if t.user_attrs.get("baseline"):
            notes.append("baseline")
        if "retry_of" in t.user_attrs:
            notes.append(f"retry of {t.user_attrs['retry_of']}")
        if t.user_attrs.get("fail_reason"):
            notes.append(t.user_attrs["fail_reason"][:60])
        row["note"] = "; ".join(notes)
        rows.append(row)
    table = pd.DataFrame(rows)
    # Study-level results ride along for format_table: what a finite-difference search concluded, the final selection.
    attrs = study.user_attrs  # one storage read
    table.attrs.update(sampler=attrs.get(STATE_ATTR), selection=attrs.get(SELECTION_ATTR))
    return table


def format_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "no trials yet"
    text = table.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-")
    extra = [_format_sampler(table.attrs.get("sampler")), format_selection(table.attrs.get("selection"))]
    return "\n".join([text, *(e for e in extra if e)])


def _format_sampler(state: dict | None) -> str:
    if not state:
        return ""
    point = ", ".join(f"{k} {v:.3f}" for k, v in state.get("recommendation", {}).items())
    status = f"finished ({state['reason']})" if state.get("done") else f"iteration {state.get('iteration')}"
    return f"{state.get('mode')} sampler: {status}; recommends {point}"
