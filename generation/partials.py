"""Temporary entries that name their owner, and the sweep that removes those a killed process left.

Every temporary entry a writer makes is a hidden sibling of its target, `.<name>.autosynthda-tmp-<owner>-<hex>`,
where <owner> is `<pid>h<host hash>`. TAO lists clip folders with os.listdir (dot names included) and
check_tao_layout rejects them, so a process killed hard must not leave them for good: the next command that writes
under the same root sweeps them first. Only entries whose owner is a dead process of this host are removed: a live
writer's temp folder (another worker on the same study, another render into the same --out) looks the same, and a pid
of another machine sharing the folder cannot be checked from here. Names from before the owner was recorded are
removed once untouched for LEGACY_STALE_S.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
import zlib
from pathlib import Path

TMP_TAG = ".autosynthda-tmp-"
OLD_TAG = ".autosynthda-old-"
_OWNER = re.compile(r"^(\d+)h([0-9a-f]{8})-")
LEGACY_STALE_S = 3600.0  # an older version's writer that has not touched its temp entry for an hour is gone


def host_hash() -> str:
    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def owner_tag(pid: int | None = None) -> str:
    """`<pid>h<host hash>-`: goes right after TMP_TAG or OLD_TAG in a temporary entry's name."""
    return f"{os.getpid() if pid is None else pid}h{host_hash()}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def _owners(name: str) -> list[str] | None:
    """The owner field after each tag in `name` ("" for a name from before owners were recorded); None: not ours."""
    owners = []
    for tag in (TMP_TAG, OLD_TAG):
        start = 0
        while (at := name.find(tag, start)) >= 0:
            rest = name[at + len(tag):]
            m = _OWNER.match(rest)
            owners.append("" if m is None else m.group(0))  # no owner: written before owners were recorded
            start = at + len(tag)
    return owners or None


def is_stale(path: Path, now: float | None = None) -> bool:
    """A temporary entry of ours whose every owner is a dead process of this host (or, for a name without an
    owner, one untouched for LEGACY_STALE_S)."""
    name = path.name
    if not name.startswith("."):
        return False
    owners = _owners(name)
    if owners is None:
        return False
    here = host_hash()
    for owner in owners:
        if not owner:
            if not _untouched_for(path, LEGACY_STALE_S, now):
                return False
            continue
        m = _OWNER.match(owner)
        assert m is not None
        if m.group(2) != here or _alive(int(m.group(1))):
            return False
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep_partials(root: str | Path) -> list[Path]:
    """Remove the stale temporary entries (see is_stale) anywhere under `root`; returns what was removed.

    Safe while other writers run on `root`: their live entries are kept. Never descends into a removed entry.
    """
    root = Path(root)
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if name.startswith(".") and is_stale(path):
                _remove(path)
                removed.append(path)
        dirs[:] = [d for d in dirs if (Path(folder) / d) not in removed]
    return sorted(removed)


def sweep_siblings(target: str | Path) -> list[Path]:
    """Remove the stale temporary siblings of `target` (`.<name>.autosynthda-tmp-...` beside it) and nothing else
    in its folder, which may be a user's folder full of other things."""
    target = Path(target)
    if not target.parent.is_dir():
        return []
    removed = []
    legacy = f".{target.name}.export-"  # an export's staging folder before it was named like the others
    for path in target.parent.iterdir():
        if path.name.startswith(legacy) and path.name[len(legacy):].isdigit():
            stale = _untouched_for(path, LEGACY_STALE_S)
        else:
            stale = path.name.lstrip(".").startswith(f"{target.name}{TMP_TAG}") and is_stale(path)
        if stale:
            _remove(path)
            removed.append(path)
    return sorted(removed)


def _untouched_for(path: Path, seconds: float, now: float | None = None) -> bool:
    try:
        return (now or time.time()) - path.lstat().st_mtime >= seconds
    except OSError:
        return False


INCOMPLETE = ".autosynthda-incomplete"  # in a dataset root while a command fills it; a killed command leaves it


def mark_incomplete(root: str | Path) -> bool:
    """Mark `root` as being filled; True when a previous (killed) command had left it incomplete."""
    marker = Path(root) / INCOMPLETE
    was = marker.exists()
    marker.write_text(f"being written by pid {os.getpid()} on {socket.gethostname()}; rerun the command if it died\n")
    return was


def clear_incomplete(root: str | Path) -> None:
    (Path(root) / INCOMPLETE).unlink(missing_ok=True)
