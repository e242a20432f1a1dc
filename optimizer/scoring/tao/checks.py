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
    TaoResultError,
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
# A raised exception as Python prints it last in a traceback: "ValueError: ...", "torch.OutOfMemoryError: ...".
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception|Interrupt|Exit)\b:")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Logged after EVERY job, successful or not, by TAO's entrypoint when it cannot send telemetry; it says "[Error]"
# yet is never why a run failed (TAO.md, "Observed from NVIDIA's own action_recognition code").
_NOT_A_REASON = re.compile(r"telemetry is not available|nvidia_tao_core\.telemetry")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _last_error_line(log: str) -> str:
    """The line that says why: the last raised exception, else the last error-looking line, never TAO's telemetry
    warning; colour codes removed."""
    lines = [strip_ansi(line).strip() for line in log.replace("\r", "\n").splitlines()]
    lines = [line for line in lines if line and not _NOT_A_REASON.search(line)]
    picked = next((line for line in reversed(lines) if _EXCEPTION_LINE.match(line)), None)
    picked = picked or next((line for line in reversed(lines) if _ERROR_LINE.search(line) and
                             "Traceback" not in line), None)
    picked = picked or (lines[-1] if lines else "(no output)")
    return picked[:240]


def check_run(task: str, ended: RunExit, log: str, status: Sequence[dict[str, Any]] | None, tail: str) -> None:
    """Raise the TaoError subclass that names why the run gave no result; return when it succeeded.

    Order matters: a kill (137) or a rejected key also show as a non-zero exit, and the more specific reason is the
    one a user can act on. A FAILURE line in status.json is TAO's own reason: it is read before the exit code is
    judged (the log's last error-looking line is TAO's telemetry warning, whatever failed).
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
    message = failure_message(status or [])
    if message is not None:
        code = f"exit code {ended.code}" if ended.code else "exit code 0"
        raise TaoReportedFailure(f"{task}: {strip_ansi(message)[:240]} (status.json FAILURE, {code})",
                                 log_tail=tail)
    if ended.code != 0:
        raise TaoExitError(f"{task}: exit code {ended.code}: {_last_error_line(log)}", log_tail=tail)
    if execution_status(log) == "FAIL":
        raise TaoReportedFailure(f"{task}: exit code 0 but `Execution status: FAIL`: {_last_error_line(log)}",
                                 log_tail=tail)
    if status is None:
        raise TaoNoStatus(f"{task}: exit code 0 but no {task}/status.json in the results dir (TAO wrote elsewhere "
                          f"or never started)", log_tail=tail)


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


def check_final_epoch(checkpoint: Checkpoint, epochs: int, status: Sequence[dict[str, Any]] | None,
                      tail: str = "") -> None:
    """The checkpoint about to be scored is the final epoch's (epochs - 1: TAO counts from 0), and train/status.json
    agrees that training ran exactly that many epochs. Anything else would score, and record as an `epochs` run, a
    model from another epoch (a spec override, a checkpointer keeping only the best, a resumed run)."""
    last = epochs - 1
    seen = [line["epoch"] for line in status or [] if isinstance(line.get("epoch"), int)]
    planned = {line["max_epoch"] for line in status or [] if isinstance(line.get("max_epoch"), int)}
    if planned and planned != {last}:
        raise TaoResultError(f"train: status.json plans epochs 0..{max(planned)}, the driver asked for {epochs} "
                             f"(0..{last}, scorer.tao.epochs)", log_tail=tail)
    if not seen or max(seen) != last:
        shown = f"ends at epoch {max(seen)}" if seen else "shows no epoch"
        raise TaoResultError(f"train: status.json {shown}, expected the final epoch {last} "
                             f"(scorer.tao.epochs {epochs})", log_tail=tail)
    if checkpoint.epoch != last:
        which = f"epoch {checkpoint.epoch}" if checkpoint.epoch is not None else "no epoch in its name"
        raise TaoResultError(f"train: the checkpoint to score ({checkpoint.path.name}) is from {which}, not the "
                             f"final epoch {last} that train/status.json reports", log_tail=tail)
