"""The trial manifest: every clip of a trial dataset with its provenance, and the leak check over it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from generation.atomic import write_text_atomic
from generation.errors import AutoSynthDaError

MANIFEST_NAME = "manifest.json"


class LeakError(AutoSynthDaError, RuntimeError):
    """Synthetic data, or data derived from an evaluation clip, reached a split it must not touch."""


@dataclass(frozen=True)
class ClipRecord:
    """One video folder of a trial dataset."""

    split: str
    label: str
    video: str
    kind: str  # "real" or "synthetic"
    frames: int
    view: str
    seed: int
    source: str = ""  # real clips: the pose file
    pair: tuple[str, str] = ("", "")  # synthetic clips: (P_r source, P_s source)
    weight: float | None = None
    method: str = ""
    background: str = ""  # video studies: the clean plate a synthetic clip sits on
    # The recording group, the unit a split keeps on one side (e.g. the 4 camera views of one take). Real clips: their
    # own group (video studies; "" for pose studies). Synthetic clips: the groups of their pair sources, joined by
    # "," (a pair may span two groups).
    group: str = ""

    def sources(self) -> set[str]:
        return {s for s in (self.source, *self.pair) if s}

    def groups(self) -> set[str]:
        return {g for g in self.group.split(",") if g}

    def to_dict(self) -> dict[str, Any]:
        """As asdict, less the video-study fields left empty: a pose study's manifests stay byte-identical."""
        data = asdict(self)
        for name in OMIT_EMPTY:
            if name in data and data[name] == "":
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipRecord:
        return cls(**{**data, "pair": tuple(data["pair"])})


# ClipRecord fields added for video studies, written only when set.
OMIT_EMPTY = ("background", "group")


@dataclass
class TrialManifest:
    label_map: dict[str, int]
    target_class: str
    weight: float
    ratio: float
    method: str
    seed: int
    clips: list[ClipRecord] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def count(self, split: str, label: str | None = None, kind: str | None = None) -> int:
        return sum(
            1
            for c in self.clips
            if c.split == split and (label is None or c.label == label) and (kind is None or c.kind == kind)
        )

    def write(self, directory: Path) -> Path:
        data = {**asdict(self), "clips": [c.to_dict() for c in self.clips]}
        return write_text_atomic(directory / MANIFEST_NAME, json.dumps(data, indent=1))

    @classmethod
    def read(cls, directory: Path) -> TrialManifest:
        data = json.loads((directory / MANIFEST_NAME).read_text())
        clips = [ClipRecord.from_dict(c) for c in data.pop("clips")]
        return cls(clips=clips, **data)


def check_no_leak(manifest: TrialManifest) -> None:
    """Fail loudly if a synthetic clip sits in val/test, a synthetic clip was made from a val/test clip or from a
    group (a recording: e.g. the views of one take) that has a real clip in val/test, a real clip appears in more
    than one split, or a group's real clips sit in two splits."""
    held_out = [c for c in manifest.clips if c.split in ("val", "test")]
    for clip in held_out:
        if clip.kind != "real":
            raise LeakError(f"{clip.split}/{clip.label}/{clip.video}: synthetic clip in a held-out split")
    held_sources = {s: c for c in held_out for s in c.sources()}
    for clip in manifest.clips:
        if clip.kind == "synthetic":
            for source in clip.pair:
                if source in held_sources:
                    other = held_sources[source]
                    raise LeakError(
                        f"train/{clip.label}/{clip.video}: made from {source}, which is the "
                        f"{other.split} clip {other.label}/{other.video}"
                    )
    seen: dict[str, str] = {}
    for clip in manifest.clips:
        if clip.kind == "real":
            previous = seen.setdefault(clip.source, clip.split)
            if previous != clip.split:
                raise LeakError(f"{clip.source}: real clip in both {previous} and {clip.split}")
    _check_groups(manifest)


def _check_groups(manifest: TrialManifest) -> None:
    group_split: dict[str, ClipRecord] = {}
    for clip in manifest.clips:
        if clip.kind != "real":
            continue
        for group in clip.groups():
            first = group_split.setdefault(group, clip)
            if first.split != clip.split:
                raise LeakError(
                    f"group {group!r}: real clips in both {first.split} ({first.label}/{first.video}) and "
                    f"{clip.split} ({clip.label}/{clip.video})"
                )
    source_groups: dict[str, set[str]] = {}
    for clip in manifest.clips:
        if clip.kind == "real" and clip.source:
            source_groups.setdefault(clip.source, set()).update(clip.groups())
    for clip in manifest.clips:
        if clip.kind != "synthetic":
            continue
        groups = clip.groups().union(*(source_groups.get(s, set()) for s in clip.pair))
        for group in sorted(groups):
            held = group_split.get(group)
            if held is not None and held.split in ("val", "test"):
                raise LeakError(
                    f"{clip.split}/{clip.label}/{clip.video}: made from group {group!r}, which has the "
                    f"{held.split} clip {held.label}/{held.video}"
                )
