"""The error the body-model code reports: one line naming the file (or folder) and the field that is wrong."""

from __future__ import annotations

from pathlib import Path

from generation.errors import AutoSynthDaError

SMPL_URL = "https://smpl.is.tue.mpg.de"
MODEL_FILE = "SMPL_NEUTRAL.pkl"
# Every message about a missing model says where the (licensed, never shipped) files come from.
WHERE_TO_GET = (f"get SMPL from {SMPL_URL} (free registration, its authors' licence; never shipped with this project) "
                f"and point render.smpl_model_dir or $SMPL_MODEL_DIR at the folder holding {MODEL_FILE}")


class BodyModelError(AutoSynthDaError, ValueError):
    """A body model folder or file that cannot be used, or a fit request that does not match the model."""

    def __init__(self, path: str | Path | None, field: str, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.field = field
        self.problem = " ".join(str(problem).split())  # OS and pickle reasons can carry newlines
        where = f"{self.path}: " if self.path is not None else ""
        super().__init__(f"{where}{field}: {self.problem}")
