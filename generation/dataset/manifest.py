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

    def sources(self) -> set[str]:
        return {s for s in (self.source, *self.pair) if s}

    def to_dict(self) -> dict[str, Any]:
        """As asdict, less the video-study fields left empty: a pose study's manifests stay byte-identical."""
        data = asdict(self)
        for name in OMIT_EMPTY:
            if name in data and data[name] == "":
                del data[name]
        return data


# ClipRecord fields added for video studies, written only when set.
OMIT_EMPTY = ("background",)


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
        clips = [ClipRecord(**{**c, "pair": tuple(c["pair"])}) for c in data.pop("clips")]
        return cls(clips=clips, **data)


def check_no_leak(manifest: TrialManifest) -> None:
    """Fail loudly if a synthetic clip sits in val/test, a synthetic clip was made from a val/test clip, or a real
    clip appears in more than one split."""
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
