"""The bundled sample clips: short labelled windows of real mocap in canonical SMPL-22 (see SOURCES.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from generation.poses.canonical import load_canonical
from generation.poses.sequence import PoseSequence

SAMPLE_DIR = Path(__file__).resolve().parent / "data"


def sample_files(directory: str | Path | None = None) -> list[Path]:
    return sorted(Path(SAMPLE_DIR if directory is None else directory).glob("*.npz"))


def load_samples(directory: str | Path | None = None) -> list[PoseSequence]:
    """Every clip in directory (default: the bundled SAMPLE_DIR), sorted by file name."""
    return [load_canonical(path) for path in sample_files(directory)]


def sample_counts(directory: str | Path | None = None) -> dict[str, int]:
    """Clips per label."""
    return dict(sorted(Counter(seq.label for seq in load_samples(directory)).items()))
