"""Errors raised for bad input data: one line, naming the file and the field that is wrong."""

from __future__ import annotations

from pathlib import Path


class AutoSynthDaError(Exception):
    """Base of every error the project reports to a user as a one-line message."""


class PoseDataError(AutoSynthDaError, ValueError):
    """A pose file or pose array that cannot be used, with where and what."""

    def __init__(self, source: str | Path | None, field: str, problem: str) -> None:
        self.source = str(source) if source is not None else "<array>"
        self.field = field
        self.problem = problem
        super().__init__(f"{self.source}: {field}: {problem}")


class BlendError(AutoSynthDaError, ValueError):
    """An invalid blend request (weight, method, shapes)."""


class WriterError(AutoSynthDaError, OSError):
    """Output that cannot be written (bad frames, bad option, unwritable place), with where and what.

    An OSError too, so callers that already handle filesystem failures catch it without knowing this module.
    """

    def __init__(self, path: str | Path | None, field: str, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.field = field
        # OS reasons and reprs can carry newlines; the contract is a single line.
        self.problem = " ".join(str(problem).split())
        where = f"{self.path}: " if self.path is not None else ""  # options errors have no path to name
        super().__init__(f"{where}{field}: {self.problem}")
