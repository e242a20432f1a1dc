"""Checks a command makes on its options before it creates anything: a bad --device or --out fails in
milliseconds with one line, instead of after the study's storage, pair bank or first trials exist."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generation.errors import WriterError
from optimizer.errors import ConfigError

DEVICES = "auto, cpu, cuda or cuda:N"


def check_device(device: str, option: str = "--device") -> str:
    """A device this machine has: auto, cpu, or a CUDA device that exists (torch would only fail at first use)."""
    import torch

    text = device.strip().lower()
    if text in ("auto", "cpu"):
        return device
    kind, colon, index = text.partition(":")
    if kind != "cuda" or (colon and not index.isdigit()):
        raise ConfigError(f"{option}: unknown device {device!r} (known: {DEVICES})")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise ConfigError(f"{option}: {device}: this machine has no CUDA device (use cpu or auto)")
    if colon and int(index) >= count:
        raise ConfigError(f"{option}: {device}: no such CUDA device (this machine has cuda:0 to cuda:{count - 1})")
    return device


def check_size(size: int, option: str = "--size") -> int:
    """A frame edge the renderer can use (the study config's render.size has the same bounds)."""
    if not 16 <= size <= 1024:
        raise ConfigError(f"{option}: must be 16 to 1024 pixels, got {size}")
    return size


def check_gpu(gpu: int | None) -> None:
    """A worker's --gpu N renders and trains on cuda:N here, so this machine must have it."""
    if gpu is not None and gpu >= 0:  # a negative id is reported by study_config
        check_device(f"cuda:{gpu}", "--gpu")


def _writable_ancestor(path: Path, option: str, shown: Path) -> None:
    """The nearest existing folder above (or at) path is a folder in which this process can create a file."""
    existing = next(p for p in (path, *path.parents) if p.exists() or p == p.parent)
    if not existing.is_dir():
        raise WriterError(shown, option, f"{existing} is a file, not a folder")
    try:  # a real probe: os.access says yes to root on a read-only mount
        fd, probe = tempfile.mkstemp(prefix=".probe.autosynthda-tmp-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise WriterError(shown, option, f"{existing} is not writable ({exc.strerror or exc})") from None


def check_out_file(path: Path, option: str = "--out", suffix: str | None = None) -> Path:
    """An output file this run can create (nothing is created here)."""
    if suffix is not None and path.suffix != suffix:
        raise WriterError(path, option, f"must end in {suffix}")
    if path.is_dir():
        raise WriterError(path, option, "is an existing folder; give a file name")
    _writable_ancestor(path.parent, option, path)
    return path


def check_out_dir(path: Path, option: str = "--out") -> Path:
    """An output folder this run can create or write into (nothing is created here)."""
    if path.exists() and not path.is_dir():
        raise WriterError(path, option, "is an existing file, not a folder")
    _writable_ancestor(path, option, path)
    return path


def check_choice(value: str, known, option: str, what: str) -> str:
    if value not in known:
        raise ConfigError(f"{option}: unknown {what} {value!r} (known: {', '.join(known)})")
    return value


def check_views(views: str, seed: int, option: str = "--views") -> list:
    from generation.render import RenderError, parse_views

    try:
        return parse_views(views, seed=seed)
    except RenderError as exc:
        raise ConfigError(f"{option}: {exc}") from None


@contextmanager
def removed_if_empty_on_error(path: Path) -> Iterator[Path]:
    """Folders this run creates for path (path and missing parents) are removed again, when still empty, if the run
    fails: a failed command leaves no empty --out behind. What existed before, and anything written, stays."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        yield path
    except BaseException:
        for folder in missing:  # deepest first
            try:
                folder.rmdir()
            except OSError:  # not empty (something was written) or never created
                break
        raise
