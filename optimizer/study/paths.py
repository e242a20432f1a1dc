"""Where a study lives: studies/<name>/ and what is in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
STUDIES_DIR = REPO / "studies"


@dataclass(frozen=True)
class StudyPaths:
    root: Path

    @classmethod
    def for_study(cls, name: str, studies_dir: Path | None = None) -> StudyPaths:
        if studies_dir is not None:  # a file where the folder should be fails here, not as a traceback when written
            existing = next(p for p in (studies_dir, *studies_dir.parents) if p.exists() or p == p.parent)
            if existing.exists() and not existing.is_dir():
                raise ConfigError(f"{studies_dir}: --studies-dir: {existing} is a file, not a folder")
        return cls((studies_dir or STUDIES_DIR) / name)

    @property
    def pairs(self) -> Path:
        return self.root / "pairs"

    @property
    def real(self) -> Path:
        return self.root / "real"

    @property
    def frames_cache(self) -> Path:
        """A video study's decoded videos, one folder per video, reused across render sizes of the same study."""
        return self.root / "cache" / "frames"

    @property
    def poses(self) -> Path:
        """A video study's pose files of its train videos (extracted, or imported from data.poses)."""
        return self.root / "poses"

    @property
    def plates(self) -> Path:
        """A video study's clean plates (render.background plates)."""
        return self.root / "plates"

    @property
    def trials(self) -> Path:
        return self.root / "trials"

    @property
    def database(self) -> Path:
        return self.root / "study.db"

    @property
    def default_storage(self) -> str:
        return f"sqlite:///{self.database}"

    def trial_dir(self, number: int) -> Path:
        return self.trials / f"{number:05d}"
