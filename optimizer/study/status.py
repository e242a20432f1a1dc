"""The trials of a study as a table: params, metrics, per-stage timings; the best trial marked. Plain text, no
pandas: `autosynthda status` should answer at once."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import optuna

from optimizer.study.selection import format_selection
from optimizer.trials import STAGES, StudyAttr, TrialRecord

COLUMNS = ("trial", "best", "state", "weight", "ratio", "synthetic", "value", "accuracy", "mean_class_acc",
           "duration_s", *(s.removesuffix("_s") for s in STAGES), "note")


@dataclass(frozen=True)
class StatusTable:
    rows: list[dict[str, Any]]
    sampler: dict[str, Any] | None = None  # what a finite-difference search concluded
    selection: dict[str, Any] | None = None  # the final selection
    extra: list[str] = field(default_factory=list)


def trials_table(study: optuna.Study) -> StatusTable:
    best = None
    try:
        best = study.best_trial.number
    except ValueError:
        pass  # no completed trial yet
    rows = []
    for t in map(TrialRecord.from_frozen, study.get_trials(deepcopy=False)):
        row: dict[str, Any] = {
            "trial": t.number, "best": "*" if t.number == best else "", "state": t.state.name, "weight": t.weight,
            "ratio": t.ratio, "synthetic": t.synthetic_clips, "value": t.value,
            "accuracy": t.metrics.get("accuracy"), "mean_class_acc": t.metrics.get("mean_class_accuracy"),
            "duration_s": t.duration_s,
        }
        row.update({k.removesuffix("_s"): t.timings.get(k) for k in STAGES})
        notes = ["baseline"] if t.baseline else []
        if t.retry_of is not None:
            notes.append(f"retry of {t.retry_of}")
        if t.fail_reason:
            notes.append(t.fail_reason[:60])
        row["note"] = "; ".join(notes)
        rows.append(row)
    attrs = study.user_attrs  # one storage read
    return StatusTable(rows, attrs.get(StudyAttr.SAMPLER_STATE), attrs.get(StudyAttr.FINAL_SELECTION))


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def format_table(table: StatusTable) -> str:
    if not table.rows:
        return "no trials yet"
    cells = [[_cell(row.get(c)) for c in COLUMNS] for row in table.rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]
    last = len(COLUMNS) - 1  # the note, left-aligned like text; the rest right-aligned like numbers
    lines = [" ".join(c.ljust(w) if i == last else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()
             for row in [list(COLUMNS), *cells]]
    extra = [_format_sampler(table.sampler), format_selection(table.selection), *table.extra]
    return "\n".join([*lines, *(e for e in extra if e)])


def _format_sampler(state: dict | None) -> str:
    if not state:
        return ""
    point = ", ".join(f"{k} {v:.3f}" for k, v in state.get("recommendation", {}).items())
    status = f"finished ({state['reason']})" if state.get("done") else f"iteration {state.get('iteration')}"
    return f"{state.get('mode')} sampler: {status}; recommends {point}"
