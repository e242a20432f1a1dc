"""Reading what TAO action_recognition writes: status.json (JSON Lines, appended while it runs) and evaluate's stdout.

status.json lines look like {"date": "6/1/2025", "time": "12:3:4", "status": "RUNNING", "verbosity": "INFO",
"message": "...", "kpi": {...}}; the per-epoch line of the training loop also carries "epoch", "max_epoch", ....
TAO's status logger keeps its last kpi and repeats it on later lines, so a val_acc seen twice is one epoch's value.
Validation for epoch n is logged before the "epoch": n line of that epoch, hence "last epoch seen + 1".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TOTAL = re.compile(r"^Total accuracy:\s*(\S+)\s*$", re.M)
_AVERAGE = re.compile(r"^Average class accuracy:\s*(\S+)\s*$", re.M)
_EXECUTION = re.compile(r"Execution status:\s*(PASS|FAIL)")
_REJECTED_KEY = re.compile(r"Key '([^']+)' not in '([^']+)'")
_CUDA_OOM = re.compile(r"CUDA out of memory|OutOfMemoryError")
_STARS = re.compile(r"\*{5,}")


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


@dataclass
class StatusTail:
    """Follows a status.json that another process appends to: each read returns only new, complete lines."""

    path: Path
    offset: int = 0
    lines: list[dict[str, Any]] = field(default_factory=list)

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n")
        if end < 0:
            return []  # a line being written: wait for its newline
        self.offset += end + 1
        new = []
        for raw in chunk[: end + 1].splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue  # not ours to judge: TAO only ever appends JSON objects
            if isinstance(line, dict):
                new.append(line)
        self.lines.extend(new)
        return new


def read_status(path: Path) -> list[dict[str, Any]] | None:
    """Every JSON line of a status.json, or None when the file does not exist."""
    if not path.is_file():
        return None
    tail = StatusTail(path)
    tail.read()
    try:
        last = path.read_bytes()[tail.offset:].strip()
        if last:
            tail.lines.append(json.loads(last))  # a final line without its newline
    except ValueError:
        pass
    return tail.lines


@dataclass
class EpochTracker:
    """Turns status lines into per-epoch metrics; val_acc (a FRACTION in train's status.json) is what pruners see."""

    last_epoch: int = -1
    epochs: dict[int, dict[str, float]] = field(default_factory=dict)

    def feed(self, lines: Sequence[dict[str, Any]]) -> list[tuple[int, float]]:
        """Consume new lines; return (epoch, val_acc) for each epoch whose val_acc appeared for the first time."""
        fresh = []
        for line in lines:
            kpi = line.get("kpi") if isinstance(line.get("kpi"), dict) else {}
            epoch = line.get("epoch") if isinstance(line.get("epoch"), int) else None
            if "val_acc" in kpi:
                at = epoch if epoch is not None else self.last_epoch + 1
                record = self.epochs.setdefault(at, {})
                if "val_acc" not in record:
                    fresh.append((at, float(kpi["val_acc"])))
                record.update({k: float(v) for k, v in kpi.items() if k in ("val_acc", "val_loss")})
            elif "train_acc" in kpi or "train_loss" in kpi:
                at = epoch if epoch is not None else max(self.last_epoch, 0)
                record = self.epochs.setdefault(at, {})
                record.update({k: float(v) for k, v in kpi.items() if k in ("train_acc", "train_loss")})
            if epoch is not None:
                self.last_epoch = max(self.last_epoch, epoch)
        return fresh

    def history(self) -> list[dict[str, float]]:
        return [{"epoch": float(e), **self.epochs[e]} for e in sorted(self.epochs)]


def failure_message(lines: Sequence[dict[str, Any]]) -> str | None:
    """The message of the last FAILURE line, if the run logged one."""
    failed = [line for line in lines if line.get("status") == "FAILURE"]
    if not failed:
        return None
    return str(failed[-1].get("message") or "FAILURE")


def evaluate_kpi(lines: Sequence[dict[str, Any]]) -> tuple[float, float] | None:
    """(accuracy, m_accuracy) in PERCENT from the last line whose kpi has accuracy."""
    for line in reversed(lines):
        kpi = line.get("kpi")
        if isinstance(kpi, dict) and "accuracy" in kpi:
            return float(kpi["accuracy"]), float(kpi.get("m_accuracy", math.nan))
    return None


@dataclass(frozen=True)
class EvaluateStdout:
    """What evaluate prints: per-class accuracy (recall, percent) between two asterisk rows, then the totals."""

    per_class: dict[str, float]
    total: float | None
    average: float | None


def _segments(text: str) -> list[str | None]:
    """The output as lines, with every run of asterisks cut out as a None marker wherever it sits in a line.

    Real TAO rewrites progress-bar lines as '\\r' + line without a newline, so the first asterisk row and the first
    class row land on the end of the last progress-bar line (TAO.md, "Observed from NVIDIA's own ...")."""
    out: list[str | None] = []
    for line in re.split(r"\r\n|\r|\n", text):
        pieces = _STARS.split(line)
        for i, piece in enumerate(pieces):
            if i:
                out.append(None)
            if piece.strip() or not i:
                out.append(piece)
    return out


def parse_evaluate_stdout(text: str, classes: Sequence[str]) -> EvaluateStdout:
    """Per-class lines are "{name:<14}{pct:.4}" in label-map order between two asterisk rows: a name of 14+
    characters touches its number, so each line is matched against the class name expected at its position rather
    than split on spaces. The rows are found anywhere in a line (see _segments)."""
    segments = _segments(text)
    per_class: dict[str, float] = {}
    starts = [i for i, piece in enumerate(segments) if piece is None]
    for a, b in zip(starts, starts[1:]):
        block = [piece.strip() for piece in segments[a + 1 : b] if piece is not None and piece.strip()]
        if len(block) == len(classes) and all(line.startswith(c) for line, c in zip(block, classes)):
            per_class = {c: _float(line[len(c):].strip()) for line, c in zip(block, classes)}
    flat = "\n".join(piece for piece in segments if piece is not None)
    totals = _TOTAL.findall(flat)
    averages = _AVERAGE.findall(flat)
    return EvaluateStdout(
        per_class=per_class,
        total=_float(totals[-1]) if totals else None,
        average=_float(averages[-1]) if averages else None,
    )


def execution_status(text: str) -> str | None:
    """PASS or FAIL from the last `Execution status:` line, None when there is none."""
    found = _EXECUTION.findall(text)
    return found[-1] if found else None


def rejected_key(text: str) -> tuple[str, str] | None:
    """(key, config class) when TAO refused a spec key."""
    found = _REJECTED_KEY.findall(text)
    return found[-1] if found else None


def cuda_out_of_memory(text: str) -> bool:
    return bool(_CUDA_OOM.search(text))
