"""A study's real data as the user's videos: finding them, screening out the unreadable ones, and splitting them.

Layouts of `data.videos: DIR`:

- `DIR/<class>/<video>.mp4|avi|mov|mkv|webm` or TAO frame folders `DIR/<class>/<video>/rgb/*.jpg|png`: split
  70/15/15 per class with a seed (SynthDa's protocol), whole groups at a time;
- `DIR/{train,val,test}/<class>/...`: already split, used exactly as given (official splits are sacred).

Groups (`data.groups`, a CSV `video,group`): the recordings that must stay on one side of every split (the camera
views of one take, one subject). A group is scoped to its class (a subject filmed doing two actions forms two groups);
a video absent from the CSV is its own group. Each RealClip's `take` is its group, made unique across classes:
`<class>:<group>` for a CSV group, the video's path relative to DIR otherwise.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generation.dataset.splits import SPLITS, RealClip, Splits, split_clips
from generation.errors import AutoSynthDaError, PoseDataError
from generation.extract.sources import DEFAULT_FOLDER_FPS, VideoSource, find_videos
from generation.videos.probe import VideoInfo, VideoProbeError, probe_video

MIN_PER_CLASS = 3  # one video each for train, val and test


class VideoDataError(AutoSynthDaError, ValueError):
    """A video dataset that cannot be used as given; one line naming the file or folder and the field."""

    def __init__(self, where: str | Path, field: str, problem: str) -> None:
        self.where = str(where)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.where}: {field}: {problem}")


@dataclass(frozen=True)
class VideoDataset:
    """root: DIR. clips: every usable video (path: the video file, or the <video> folder holding rgb/; label: its
    class; take: its group). presplit: the dataset's own splits, or None. excluded: video path -> why it cannot be
    read (kept out of every split). infos: video path -> its probe. groups: the groups CSV, if one was given."""

    root: Path
    clips: list[RealClip]
    presplit: Splits | None
    excluded: dict[str, str]
    infos: dict[str, VideoInfo] = field(default_factory=dict)
    groups: Path | None = None

    def classes(self) -> list[str]:
        return sorted({c.label for c in self.clips})


def excluded_warning(excluded: dict[str, str]) -> str | None:
    """One warning line naming the unreadable videos that were left out, or None when there are none."""
    if not excluded:
        return None
    items = "; ".join(f"{path} ({reason})" for path, reason in sorted(excluded.items()))
    return f"data.videos: {len(excluded)} unreadable video(s) left out of every split: {items}"


def _sources(folder: Path) -> list[VideoSource]:
    try:
        return find_videos(folder)
    except PoseDataError as exc:
        raise VideoDataError(folder, "data.videos", exc.problem) from None


def _clip_path(source: VideoSource) -> Path:
    return source.path.parent if source.kind == "frames" else source.path


def _layout(root: Path) -> list[str] | None:
    """The split folders of a pre-split dataset, or None for DIR/<class>/... ."""
    present = [s for s in SPLITS if (root / s).is_dir()]
    if not present:
        return None
    if "train" in present and len(present) < len(SPLITS):
        missing = ", ".join(s for s in SPLITS if s not in present)
        raise VideoDataError(root, "data.videos",
                             f"a pre-split dataset needs train/, val/ and test/; {missing}/ missing")
    return present if len(present) == len(SPLITS) else None


def find_video_dataset(
    root: str | Path,
    *,
    classes: Sequence[str] | None = None,
    groups: str | Path | None = None,
    folder_fps: float = DEFAULT_FOLDER_FPS,
) -> VideoDataset:
    """Find, screen and check the videos under root; VideoDataError (one line) for a dataset that cannot be split.

    Every video is probed (container, stream, first frame) before anything else: an unreadable one is not fatal, it
    goes to `excluded` (name them with excluded_warning). classes: keep only these (None: all).
    """
    root = Path(root)
    if not root.is_dir():
        raise VideoDataError(root, "data.videos", "does not exist or is not a folder")
    split_dirs = _layout(root)
    found: dict[str, list[VideoSource]] = (
        {s: _sources(root / s) for s in split_dirs} if split_dirs else {"": _sources(root)}
    )
    if classes is not None:
        wanted = set(classes)
        known = {s.label for sources in found.values() for s in sources}
        unknown = sorted(wanted - known)
        if unknown:
            raise VideoDataError(root, "data.videos",
                                 f"class {unknown[0]!r} has no folder (classes found: {', '.join(sorted(known))})")
        found = {split: [s for s in sources if s.label in wanted] for split, sources in found.items()}
    for split, sources in found.items():
        _check_unique_names(root / split if split else root, sources)

    excluded: dict[str, str] = {}
    infos: dict[str, VideoInfo] = {}
    usable: dict[str, list[VideoSource]] = {}
    for split, sources in found.items():
        usable[split] = []
        for source in sources:
            path = _clip_path(source)
            try:
                infos[str(path)] = probe_video(path, folder_fps=folder_fps)
            except VideoProbeError as exc:
                excluded[str(path)] = exc.problem
                continue
            usable[split].append(source)

    every = [(split, s) for split, sources in found.items() for s in sources]
    group_of = _read_groups(Path(groups), root, every) if groups is not None else {}
    clips_by_split: dict[str, list[RealClip]] = {}
    for split, sources in usable.items():
        clips_by_split[split] = []
        for source in sources:
            path = _clip_path(source)
            rel = path.relative_to(root).as_posix()
            take = f"{source.label}:{group_of[rel]}" if rel in group_of else rel
            clips_by_split[split].append(RealClip(path, source.label, take))

    clips = [c for split_clips_ in clips_by_split.values() for c in split_clips_]
    if not clips:
        raise VideoDataError(root, "data.videos", f"no readable videos ({len(excluded)} unreadable)")
    if split_dirs:
        presplit = Splits(**{s: clips_by_split[s] for s in SPLITS})
        _check_presplit(root, presplit, groups)
    else:
        presplit = None
        _check_counts(root, clips, grouped=groups is not None)
    return VideoDataset(root, clips, presplit, excluded, infos, Path(groups) if groups is not None else None)


def _check_unique_names(folder: Path, sources: Sequence[VideoSource]) -> None:
    # a.mp4 and a.avi (or a frame folder a/) of one class would become one <split>/<class>/a/ folder.
    first: dict[tuple[str, str], VideoSource] = {}
    for source in sources:
        name = _clip_path(source).stem if source.kind == "video" else _clip_path(source).name
        other = first.setdefault((source.label, name), source)
        if other is not source:
            raise VideoDataError(
                folder / source.label, "data.videos",
                f"{_clip_path(other).name} and {_clip_path(source).name} have the same name {name!r} (rename one)",
            )


def _read_groups(csv_path: Path, root: Path, every: list[tuple[str, VideoSource]]) -> dict[str, str]:
    """relative video path -> group, from a `video,group` CSV (video: relative to root, or a unique bare name)."""
    if not csv_path.is_file():
        raise VideoDataError(csv_path, "data.groups", "does not exist or is not a file")
    by_rel: dict[str, str] = {}
    by_name: dict[str, list[str]] = defaultdict(list)
    for _, source in every:
        path = _clip_path(source)
        rel = path.relative_to(root).as_posix()
        by_rel[rel] = rel
        if source.kind == "frames":
            by_rel[f"{rel}/rgb"] = rel
        for name in {path.name, path.stem}:
            by_name[name].append(rel)
    out: dict[str, str] = {}
    try:
        with open(csv_path, newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise VideoDataError(csv_path, "data.groups", f"unreadable ({exc})") from None
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if header[:2] != ["video", "group"]:
        raise VideoDataError(csv_path, "data.groups", f"line 1: header must be 'video,group', got {','.join(header)!r}")
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[1].strip():
            raise VideoDataError(csv_path, "data.groups", f"line {line}: needs a video and a group")
        video, group = row[0].strip().strip("/"), row[1].strip()
        rel = by_rel.get(video)
        if rel is None:
            matches = by_name.get(video, [])
            if len(matches) > 1:
                raise VideoDataError(csv_path, "data.groups",
                                     f"line {line}: video {video!r} names {len(matches)} videos (give its path)")
            if not matches:
                raise VideoDataError(csv_path, "data.groups", f"line {line}: video {video!r} is not a video of {root}")
            rel = matches[0]
        if out.setdefault(rel, group) != group:
            raise VideoDataError(csv_path, "data.groups",
                                 f"line {line}: video {video!r} is in two groups ({out[rel]!r} and {group!r})")
    return out


def _check_counts(root: Path, clips: Sequence[RealClip], *, grouped: bool) -> None:
    by_class: dict[str, list[RealClip]] = defaultdict(list)
    for clip in clips:
        by_class[clip.label].append(clip)
    for label, members in sorted(by_class.items()):
        if len(members) < MIN_PER_CLASS:
            raise VideoDataError(
                root / label, "data.videos",
                f"class {label!r} has {len(members)} usable video(s), a train/val/test split needs at least "
                f"{MIN_PER_CLASS}",
            )
        takes = {c.take for c in members}
        if grouped and len(takes) < MIN_PER_CLASS:
            raise VideoDataError(
                root / label, "data.groups",
                f"class {label!r}: its {len(members)} videos form {len(takes)} group(s), a split that keeps each "
                f"group on one side needs at least {MIN_PER_CLASS}",
            )


def _check_presplit(root: Path, splits: Splits, groups: str | Path | None) -> None:
    train = {c.label for c in splits.train}
    for split in ("val", "test"):
        have = {c.label for c in splits.of(split)}
        for label in sorted(train - have):
            raise VideoDataError(root / split, "data.videos",
                                 f"split {split!r} has no usable video of class {label!r} (train has)")
        for label in sorted(have - train):
            raise VideoDataError(root / "train", "data.videos",
                                 f"split 'train' has no usable video of class {label!r} ({split} has)")
    if groups is None:
        return
    seen: dict[str, str] = {}
    for split in SPLITS:
        for clip in splits.of(split):
            first = seen.setdefault(clip.take, split)
            if first != split:
                raise VideoDataError(groups, "data.groups",
                                     f"group {clip.take!r} has videos in both {first} and {split} of the pre-split "
                                     "dataset (a group must stay on one side)")


def split_videos(dataset: VideoDataset, *, seed: int = 42) -> Splits:
    """The dataset's own splits when it came split, else 70/15/15 per class with the seed, whole groups at a time."""
    if dataset.presplit is not None:
        return dataset.presplit
    # Every take is a group here (a video without a CSV group is its own), so the clip-by-clip fallback of
    # split_clips, which would put a group on both sides, must never happen.
    return split_clips(dataset.clips, seed=seed, strict_takes=True)
