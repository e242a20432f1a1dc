"""All-or-nothing files and folders, and up-front writability checks: a reader sees the old entry or the whole new
one, never a half-written one.

Temporary entries are hidden siblings of their target (same filesystem, so the final rename is atomic) named
`.<name>.autosynthda-tmp-<pid>h<host>-<hex>`. TAO lists clip folders with os.listdir, which includes dot names, so a
process killed hard can leave one behind that TAO would take for a clip: `sweep_partials` (generation.partials)
removes those whose owner is dead.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generation.errors import WriterError
from generation.partials import OLD_TAG, TMP_TAG, owner_tag, sweep_partials

__all__ = ["OLD_TAG", "TMP_TAG", "atomic_dir", "atomic_file", "check_writable_dir", "partial_sibling",
           "sweep_partials", "write_text_atomic"]


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _unwritable(path: Path, reason: str) -> WriterError:
    return WriterError(path, "output directory", f"not writable ({reason})")


def check_writable_dir(path: str | Path) -> Path:
    """Create `path` (and parents) if needed and prove a file can be created in it; WriterError if not.

    Meant to be called before any rendering so a bad --out fails in milliseconds, not after an hour of work.
    Probing with a real file is the only honest test: os.access() says yes to root on read-only mounts.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise _unwritable(path, "exists and is not a directory") from None
    except OSError as exc:
        blocker = next((p for p in path.parents if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise _unwritable(path, f"{blocker} is a file, not a directory") from None
        raise _unwritable(path, _reason(exc)) from None
    try:
        fd, probe = tempfile.mkstemp(prefix=f".probe{TMP_TAG}{owner_tag()}", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _unwritable(path, _reason(exc)) from None
    return path


def _sibling(path: Path, tag: str, suffix: str = "") -> Path:
    # The owner (pid, host) in the name lets a later sweep tell a dead writer's leftover from a live one's.
    return path.with_name(f".{path.name}{tag}{owner_tag()}{uuid.uuid4().hex[:12]}{suffix}")


def partial_sibling(path: str | Path) -> Path:
    """A fresh temporary name beside `path` that sweep_siblings(path) removes once its owner is dead."""
    return _sibling(Path(path), TMP_TAG)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temp path beside `path` (same suffix, so encoders guess the format); os.replace it in on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(path, TMP_TAG, path.suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _load_renameat2():  # pragma: no cover - platform probe
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):  # no renameat2 (old glibc, musl, macOS, Windows)
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _load_renameat2()
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2); False where unsupported."""
    if _RENAMEAT2 is None:
        return False
    rc = _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _place_dir(tmp: Path, final: Path) -> None:
    if not final.exists():
        os.rename(tmp, final)
        return
    # Replacing a complete clip: an atomic exchange means readers always see one complete version.
    if _exchange(tmp, final):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old clip
        return
    # Fallback: a brief moment with no folder, but never a partial one; restore the old one on failure.
    old = _sibling(final, OLD_TAG)
    os.rename(final, old)
    try:
        os.rename(tmp, final)
    except BaseException:
        os.rename(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield an empty temp folder beside `path`; on success it becomes `path` (replacing an old one) in one rename.

    On any exception the temp folder is removed, so `path` is either untouched or complete.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise WriterError(path, "output", "exists and is not a directory")
    tmp = _sibling(path, TMP_TAG)
    try:
        tmp.mkdir()
    except OSError as exc:
        raise _unwritable(path.parent, _reason(exc)) from None
    try:
        yield tmp
        _place_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_file(path) as tmp:
        tmp.write_text(text)
    return Path(path)
