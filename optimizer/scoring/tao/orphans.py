"""What a driver killed with SIGKILL leaves of a local/apptainer TAO run, and how the next driver clears it up.

- The direct child gets PR_SET_PDEATHSIG(SIGKILL) (die_with_driver): it dies with the driver. TAO's own workers are
  its children in the same process group and would survive it, so while a run is live its group is recorded in
  <trial>/tao/<task>.process.json (host, boot, group leader pid + /proc start time, driver pid + start time), removed
  when the run ends. reap_orphans(trials_dir) kills the groups whose driver is dead: the study's reaper calls it.
- The private spec folder (it holds the unmasked key) is named after its owner (pid + start time): a dead owner's
  folder is removed the next time a private spec folder is made (private_spec_dir).

Pids are checked with their /proc start time, so a pid the kernel has since given to another process is left alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

SPEC_PREFIX = "autosynthda-tao-spec-"
RECORD_SUFFIX = ".process.json"
PR_SET_PDEATHSIG = 1


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError, OSError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
    if fields[0] in ("Z", "X"):  # a zombie has finished: nothing to stop
        return None
    return int(fields[19])


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()


def alive(pid: int, started: int | None) -> bool:
    """The process `pid` that started at `started` still runs (not a later process that reused the pid)."""
    return started is not None and start_time(pid) == started


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def die_with_driver(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A preexec_fn that makes the child get `sig` when the driver dies (Linux), else None.

    libc's prctl is looked up here, in the parent: after fork only the call itself runs (the log threads may hold
    locks a dlopen in the child would wait on). The death signal follows the THREAD that forked: score() blocks on
    the run in that thread, so the thread lives exactly as long as the run is needed."""
    name = ctypes.util.find_library("c")
    if name is None or not Path("/proc/self/stat").exists():
        return None
    try:
        prctl = ctypes.CDLL(name, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    driver = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != driver:  # the driver died between fork and prctl: no signal will come
            os._exit(137)

    return preexec


def _me() -> dict[str, object]:
    return {"host": socket.gethostname(), "boot_id": boot_id(), "driver_pid": os.getpid(),
            "driver_start": start_time(os.getpid())}


def write_record(path: Path, pid: int, argv0: str) -> None:
    """Record the run's process group (the child leads its own session, so pgid == pid) while it runs."""
    record = {**_me(), "pgid": pid, "start": start_time(pid), "argv0": argv0}
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(record))
    partial.replace(path)  # whole or absent: a reaper never reads half a record


def _group_members(pgid: int, leader_start: int | None) -> list[int]:
    """Live processes in process group `pgid` that started no earlier than its recorded leader."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None or fields[0] in ("Z", "X"):
            continue
        if int(fields[2]) == pgid and (leader_start is None or int(fields[19]) >= leader_start):
            members.append(int(entry.name))
    return members


def reap_orphans(trials_dir: Path) -> list[dict[str, object]]:
    """Kill the TAO process groups of dead drivers recorded under trials_dir/*/tao/ and drop their records.

    Only records made on this host since its last boot are acted on; a live driver's run is left alone. A group is
    killed only while it is the recorded one: its leader, if still there, has the recorded start time (a reused pid
    would not), and its members started after it. Returns the records acted on (each with "killed": pids)."""
    here, boot = socket.gethostname(), boot_id()
    done = []
    for path in sorted(Path(trials_dir).glob(f"*/tao/*{RECORD_SUFFIX}")):
        try:
            record = json.loads(path.read_text())
            pgid, leader_start = int(record["pgid"]), record.get("start")
            driver, driver_start = int(record["driver_pid"]), record.get("driver_start")
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours to judge (or being written): a later call sees it whole
        # Without a recorded start time, a live pid counts as the driver (never kill a run that may be live).
        driver_alive = alive(driver, driver_start) if driver_start is not None else start_time(driver) is not None
        if record.get("host") != here or record.get("boot_id") != boot or driver_alive:
            continue
        leader_now = start_time(pgid)
        members = [] if leader_now is not None and leader_now != leader_start else _group_members(pgid, leader_start)
        if members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        path.unlink(missing_ok=True)
        done.append({**record, "record": str(path), "killed": members})
    return done


def host_tag() -> str:
    """This host and boot, in 8 characters: a temp dir shared between machines holds other hosts' live folders."""
    return hashlib.sha256(f"{socket.gethostname()} {boot_id()}".encode()).hexdigest()[:8]


@contextlib.contextmanager
def private_spec_dir() -> Iterator[Path]:
    """A 0700 temporary folder for the spec holding the key, named after its owner (pid, start time, host tag); dead
    owners' folders are removed first. Removed on exit like a TemporaryDirectory."""
    sweep_spec_dirs()
    me = os.getpid()
    path = Path(tempfile.mkdtemp(prefix=f"{SPEC_PREFIX}{me}-{start_time(me) or 0}-{host_tag()}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_spec_dirs(tmp: Path | None = None) -> list[Path]:
    """Remove this user's private spec folders whose owner process (on this host, since this boot) is gone. Folders
    without an owner in their name (made before owners were recorded) are left alone."""
    removed, tag = [], host_tag()
    for path in Path(tmp or tempfile.gettempdir()).glob(f"{SPEC_PREFIX}*"):
        parts = path.name[len(SPEC_PREFIX):].split("-")
        if len(parts) < 4 or not (parts[0].isdigit() and parts[1].isdigit()) or parts[2] != tag:
            continue
        try:
            if not path.is_dir() or path.is_symlink() or path.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        pid, started = int(parts[0]), int(parts[1])
        if started and alive(pid, started):
            continue
        if not started and start_time(pid) is not None:  # no start time known: a live pid keeps it
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
