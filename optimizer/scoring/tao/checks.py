"""Did a TAO run succeed? Decided from its files and output, never from the exit code alone (the launcher exits 0 on
failure), and which checkpoint is the final one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.scoring.tao.errors import (
    TaoExitError,
    TaoNoStatus,
    TaoOutOfMemory,
    TaoReportedFailure,
    TaoSpecRejected,
)
from optimizer.scoring.tao.results import (
    cuda_out_of_memory,
    execution_status,
    failure_message,
    rejected_key,
)
from optimizer.scoring.tao.runtimes import RunExit

_EPOCH = re.compile(r"epoch[_=-]?(\d+)", re.I)
_ERROR_LINE = re.compile(r"(Error|Exception|error:|Traceback|Killed)")


def _last_error_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    picked = next((line for line in reversed(lines) if _ERROR_LINE.search(line) and "Traceback" not in line), None)
    picked = picked or (lines[-1] if lines else "(no output)")
    return picked[:240]


def check_run(task: str, ended: RunExit, log: str, status: Sequence[dict[str, Any]] | None, tail: str) -> None:
    """Raise the TaoError subclass that names why the run gave no result; return when it succeeded.

    Order matters: a kill (137) or a rejected key also show as a non-zero exit, and the more specific reason is the
    one a user can act on.
    """
    if ended.oom_killed or ended.code == 137:
        how = "Docker's OOM killer" if ended.oom_killed else "SIGKILL, usually the out-of-memory killer"
        raise TaoOutOfMemory(
            f"{task}: killed, exit 137 ({how}): give the container more memory or lower dataset.batch_size/workers "
            f"(scorer.tao.spec_overrides)", log_tail=tail)
    failed = ended.code != 0 or execution_status(log) == "FAIL"
    if failed and cuda_out_of_memory(log):
        raise TaoOutOfMemory(f"{task}: CUDA out of memory: lower scorer.tao.batch_size", log_tail=tail)
    rejected = rejected_key(log)
    if failed and rejected:
        key, section = rejected
        raise TaoSpecRejected(
            f"{task}: TAO rejected spec key {key!r} (not in {section}): this image's TAO has another schema than "
            f"optimizer/scoring/tao/spec.py", log_tail=tail)
    if ended.code != 0:
        raise TaoExitError(f"{task}: exit code {ended.code}: {_last_error_line(log)}", log_tail=tail)
    if execution_status(log) == "FAIL":
        raise TaoReportedFailure(f"{task}: exit code 0 but `Execution status: FAIL`: {_last_error_line(log)}",
                                 log_tail=tail)
    if status is None:
        raise TaoNoStatus(f"{task}: exit code 0 but no {task}/status.json in the results dir (TAO wrote elsewhere "
                          f"or never started)", log_tail=tail)
    message = failure_message(status)
    if message is not None:
        raise TaoReportedFailure(f"{task}: status.json reports FAILURE: {message[:240]}", log_tail=tail)


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    epoch: int | None


def final_checkpoint(train_dir: Path, suffixes: tuple[str, ...]) -> Checkpoint | None:
    """The checkpoint of the highest epoch (TAO names them ..._epoch_NNN...); the *_latest one only when no file
    carries an epoch."""
    if not train_dir.is_dir():
        return None
    found = [p for p in train_dir.rglob("*") if p.suffix in suffixes and p.is_file()]
    numbered = []
    for path in found:
        match = _EPOCH.search(path.stem)
        if match and "latest" not in path.stem:
            numbered.append((int(match.group(1)), path))
    if numbered:
        epoch, path = max(numbered)
        return Checkpoint(path, epoch)
    latest = [p for p in found if "latest" in p.stem]
    return Checkpoint(sorted(latest)[0], None) if latest else None
