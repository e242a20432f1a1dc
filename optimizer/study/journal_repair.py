"""A journal file's torn tail, cut before anyone appends after it; a damaged middle line, refused with one line.

Optuna's JournalFileBackend skips a last line that is cut short or garbage (a crash or a full disk mid-append), so the
study still reads; but the next append lands after it, the bad line is then in the middle, and every later read raises
JSONDecodeError: the whole study becomes unreadable. Nobody ever applied the torn record (readers skip it), so cutting
it loses nothing any process saw. It is cut under the journal's own lock (no append can be in flight), and the cut
bytes are kept beside the journal as <journal>.torn-<UTC time>.

A bad line with good records after it cannot be cut off without losing those records: it is refused, naming the line.
Deleting that one line is the repair (the records after it were written by processes that had skipped it too).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import get_lock_file

from generation.errors import AutoSynthDaError

TORN_TAG = ".torn-"


class JournalDamaged(AutoSynthDaError, ValueError):
    """A journal with a bad record before good ones, or no journal records at all."""


@dataclass(frozen=True)
class JournalCheck:
    size: int
    good_end: int  # bytes up to the end of the last good record's newline
    records: int

    @property
    def torn_bytes(self) -> int:
        return self.size - self.good_end


def _is_record(line: bytes) -> bool:
    try:
        record = json.loads(line)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return False
    return isinstance(record, dict) and "op_code" in record


def check_journal(path: Path) -> JournalCheck:
    """Where the good records end; JournalDamaged for a bad line followed by good ones or a file with none."""
    data = path.read_bytes()
    good_end, records, first_bad = 0, 0, None
    start = 0
    while start < len(data):
        newline = data.find(b"\n", start)
        end = len(data) if newline < 0 else newline + 1
        line = data[start:end]
        if newline >= 0 and line.strip() and _is_record(line):
            if first_bad is not None:
                raise _middle(path, first_bad)
            good_end, records = end, records + 1
        elif newline >= 0 and not line.strip() and first_bad is None:
            good_end = end  # an empty line: Optuna writes none, but it is harmless
        elif first_bad is None:
            first_bad = data.count(b"\n", 0, start) + 1
        start = end
    if records == 0 and data.strip():
        raise JournalDamaged(f"{path}: journal: not an Optuna journal file (no line is a journal record); "
                             "check the --storage path")
    return JournalCheck(len(data), good_end, records)


def _middle(path: Path, line: int) -> JournalDamaged:
    fix = f"sed -i.bak '{line}d' {shlex.quote(str(path))}"
    return JournalDamaged(
        f"{path}: line {line}: not a journal record, with good records after it (a write cut short, then appended "
        f"to); no process ever applied it, so deleting that line repairs the journal: {fix}"
    )


def repair_journal(path: Path, log: Callable[[str], None] | None = None) -> Path | None:
    """Cut a torn tail off the journal at `path` under its lock, keeping the cut bytes; the backup's path or None."""
    backend = JournalFileBackend(str(path))  # creates an absent file, as opening the storage would
    with get_lock_file(backend._lock):  # noqa: SLF001 - the lock every appender takes
        return _cut_tail(path, check_journal(path), log)


def _cut_tail(path: Path, check: JournalCheck, log: Callable[[str], None] | None) -> Path | None:
    if check.torn_bytes == 0:
        return None
    with open(path, "rb") as fh:
        fh.seek(check.good_end)
        cut = fh.read()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backup = path.with_name(f"{path.name}{TORN_TAG}{stamp}-{os.getpid()}")
    with open(backup, "xb") as fh:
        fh.write(cut)
        fh.flush()
        os.fsync(fh.fileno())
    os.truncate(path, check.good_end)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    say = log or (lambda msg: print(msg, file=sys.stderr))
    say(f"journal {path}: cut a torn last record ({len(cut)} bytes, a write cut short by a crash); "
        f"the cut bytes are kept in {backup}")
    return backup


class RepairingJournalFileBackend(JournalFileBackend):
    """A journal backend that never appends after a torn tail and reads past none: a tail that a process killed
    mid-append left since this one opened the file is cut (with its backup) under the lock, before this append;
    reading stops before it (Optuna's own reader skips only a torn tail that decodes as text: zeros with a newline
    raise UnicodeDecodeError)."""

    def read_logs(self, log_number_from: int) -> Generator[dict[str, Any], None, None]:
        try:
            yield from super().read_logs(log_number_from)
        except ValueError:
            check = check_journal(Path(self._file_path))  # JournalDamaged for a bad middle line
            if not check.torn_bytes:
                raise
            # The torn line's successor offset may be recorded; a record later written in its place must not use it.
            self._log_number_offset = {n: at for n, at in self._log_number_offset.items() if at <= check.good_end}

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        path = Path(self._file_path)
        payload = ("\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n").encode("utf-8")
        with get_lock_file(self._lock):
            if not _last_line_whole(path):
                _cut_tail(path, check_journal(path), None)
            with open(path, "ab") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())


def _last_line_whole(path: Path, chunk: int = 1 << 16) -> bool:
    """The file is empty or ends with a newline-terminated journal record; reads only the tail (one line)."""
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return True
        tail = b""
        while True:
            start = max(0, size - len(tail) - chunk)
            fh.seek(start)
            tail = fh.read(size - start)
            if not tail.endswith(b"\n"):
                return False
            previous = tail.rfind(b"\n", 0, len(tail) - 1)
            if previous >= 0 or start == 0:
                return _is_record(tail[previous + 1:])


def journal_note(path: Path) -> str | None:
    """For `status`: a line saying the journal has a torn tail (cut at the next write) or was repaired; None when
    neither. Raises JournalDamaged for a damaged middle line. Reading never writes, so nothing is cut here."""
    if not path.is_file():
        return None
    check = check_journal(path)
    backups = sorted(path.parent.glob(f"{path.name}{TORN_TAG}*"))
    if check.torn_bytes:
        return (f"journal {path}: its last record is torn ({check.torn_bytes} bytes, a write cut short); the next "
                "optimize, setup or worker cuts it and keeps a copy")
    if backups:
        return f"journal {path}: repaired: a torn last record was cut; the cut bytes are kept in {backups[-1]}"
    return None
