"""Per-class train/val/test splits of the real clips, seeded, with clips of one take kept together when possible."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generation.errors import AutoSynthDaError
from generation.safe_names import check_component

SPLITS = ("train", "val", "test")


class SplitError(AutoSynthDaError, ValueError):
    """A class that cannot be split as asked."""


@dataclass(frozen=True)
class RealClip:
    """A real clip of the dataset: its pose file, class and the take it was cut from (windows of a take correlate)."""

    path: Path
    label: str
    take: str = ""

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class Splits:
    train: list[RealClip] = field(default_factory=list)
    val: list[RealClip] = field(default_factory=list)
    test: list[RealClip] = field(default_factory=list)

    def of(self, split: str) -> list[RealClip]:
        return getattr(self, split)

    def classes(self) -> list[str]:
        return sorted({c.label for c in self.train + self.val + self.test})

    def count(self, split: str, label: str) -> int:
        return sum(1 for c in self.of(split) if c.label == label)


def _split_sizes(n: int, fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    n_val = max(1, round(n * fractions[1]))
    n_test = max(1, round(n * fractions[2]))
    return n - n_val - n_test, n_val, n_test


def split_clips(
    clips: Sequence[RealClip],
    *,
    seed: int = 42,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    strict_takes: bool = False,
) -> Splits:
    """Split every class ~70/15/15 with a fixed seed; each split gets at least one clip of every class.

    A class whose clips come from at least three takes is split by take, so windows of one recording never sit on
    both sides of the train/test line; otherwise clips are split one by one (and their correlation is a known limit).
    strict_takes: takes are promises (a user's groups), so a class with fewer than three is an error instead.
    """
    by_class: dict[str, list[RealClip]] = defaultdict(list)
    for clip in clips:
        check_component(clip.label, "label", clip.path)  # both become <split>/<label>/<name>/ folders
        check_component(clip.name, "file name", clip.path)
        by_class[clip.label].append(clip)
    out: dict[str, list[RealClip]] = {s: [] for s in SPLITS}
    for label in sorted(by_class):
        members = sorted(by_class[label], key=lambda c: str(c.path))
        if len(members) < 3:
            raise SplitError(
                f"class {label!r}: needs at least 3 real clips for train/val/test splits, has {len(members)}"
            )
        rng = random.Random(f"{seed}:{label}")
        takes: dict[str, list[RealClip]] = defaultdict(list)
        for clip in members:
            takes[clip.take or clip.name].append(clip)
        if strict_takes and len(takes) < 3:
            raise SplitError(
                f"class {label!r}: its {len(members)} clips form {len(takes)} groups, a train/val/test split that "
                "keeps each group on one side needs at least 3"
            )
        if len(takes) >= 3:
            units = [takes[t] for t in sorted(takes)]
            rng.shuffle(units)
            # Assign whole takes, largest share first to train, until each split's clip quota is met.
            n_train, n_val, _ = _split_sizes(len(members), fractions)
            assigned = _assign_groups(units, n_train, n_val)
        else:
            rng.shuffle(members)
            n_train, n_val, _ = _split_sizes(len(members), fractions)
            assigned = {
                "train": members[:n_train],
                "val": members[n_train : n_train + n_val],
                "test": members[n_train + n_val :],
            }
        for split in SPLITS:
            out[split].extend(assigned[split])
    return Splits(**out)


def _assign_groups(units: list[list[RealClip]], n_train: int, n_val: int) -> dict[str, list[RealClip]]:
    """Greedy: one take each to test and val first (every split non-empty), the rest fill train then val then test."""
    result: dict[str, list[RealClip]] = {"train": [], "val": [], "test": []}
    ordered = sorted(units, key=len)  # the smallest takes seed val/test, so train keeps the bulk
    result["test"].extend(ordered.pop(0))
    result["val"].extend(ordered.pop(0))
    for unit in reversed(ordered):
        if len(result["train"]) < n_train or not result["train"]:
            result["train"].extend(unit)
        elif len(result["val"]) < n_val:
            result["val"].extend(unit)
        else:
            result["test"].extend(unit)
    return result
