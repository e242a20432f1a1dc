"""The per-video report of `poses extract` / `poses import`: one row a video, as CSV and as a printed table.

A bad input is a row (status error or skipped, with a one-line reason), never a crash of the whole run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generation.atomic import write_text_atomic
from generation.errors import AutoSynthDaError

COLUMNS = (
    "video", "class", "frames", "detected_frames", "detection_rate", "gaps_filled", "kept_frames", "status", "reason",
)
STATUSES = ("ok", "skipped", "error")


class ExtractError(AutoSynthDaError):
    """A run that cannot go on, or produced nothing (reported as `error: ...`, exit code 2)."""


def one_line(text: object) -> str:
    """Collapse any message (FFmpeg's, PIL's, a traceback's last line) to a single line."""
    return " ".join(str(text).split())


@dataclass(frozen=True)
class ReportRow:
    """One input. frames: frames read (poses in the file for imports). detected_frames / detection_rate /
    gaps_filled: None where they do not apply (imports, or the video could not be read). kept_frames: frames
    written. output: the written file, "" when none."""

    video: str
    label: str
    status: str
    reason: str = ""
    frames: int | None = None
    detected_frames: int | None = None
    detection_rate: float | None = None
    gaps_filled: int | None = None
    kept_frames: int | None = None
    output: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        object.__setattr__(self, "reason", one_line(self.reason))

    def cells(self) -> dict[str, str]:
        def num(value: int | None) -> str:
            return "" if value is None else str(value)

        rate = "" if self.detection_rate is None else f"{self.detection_rate:.3f}"
        return {
            "video": self.video, "class": self.label, "frames": num(self.frames),
            "detected_frames": num(self.detected_frames), "detection_rate": rate,
            "gaps_filled": num(self.gaps_filled), "kept_frames": num(self.kept_frames), "status": self.status,
            "reason": self.reason,
        }


def to_csv(rows: Sequence[ReportRow]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue()


def write_report(rows: Sequence[ReportRow], path: str | Path) -> Path:
    return write_text_atomic(path, to_csv(rows))


def read_report(path: str | Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


_HEADERS = {"detected_frames": "detected", "detection_rate": "rate", "gaps_filled": "gaps", "kept_frames": "kept"}


def format_table(rows: Sequence[ReportRow]) -> str:
    """A fixed-width table of the report, one line a video (the reason last, unpadded)."""
    cells = [row.cells() for row in rows]
    headers = [_HEADERS.get(c, c) for c in COLUMNS]
    widths = [max([len(h)] + [len(c[col]) for c in cells]) for h, col in zip(headers, COLUMNS)]
    numeric = {"frames", "detected_frames", "detection_rate", "gaps_filled", "kept_frames"}

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if col in numeric else v.ljust(w)
            for v, w, col in zip(values[:-1], widths[:-1], COLUMNS[:-1])
        ]
        return "  ".join(parts + [values[-1]]).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line([c[col] for col in COLUMNS]) for c in cells]
    return "\n".join(out)


def summary(rows: Sequence[ReportRow]) -> str:
    counts = {status: sum(row.status == status for row in rows) for status in STATUSES}
    return f"{counts['ok']} converted, {counts['skipped']} skipped, {counts['error']} errors"


def require_success(rows: Sequence[ReportRow], src: str | Path, report: str | Path) -> None:
    """Exit code 0 needs at least one converted input; otherwise one line naming the report."""
    if not any(row.status == "ok" for row in rows):
        raise ExtractError(f"{src}: nothing converted ({summary(rows)}); see {report}")
