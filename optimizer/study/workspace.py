"""Which real clips a study uses."""

from __future__ import annotations

from pathlib import Path

from generation.dataset import RealClip, SplitError, Splits, split_clips
from generation.poses import iter_pose_files, load_poses
from generation.safe_names import check_component
from optimizer.config import StudyConfig
from optimizer.errors import ConfigError


def discover_real_clips(config: StudyConfig) -> list[RealClip]:
    """Every pose file under data.real with its class (the file's own label, else its folder's name), filtered to
    data.classes; the target class must be among them."""
    clips = []
    for path in iter_pose_files(config.data.real):
        seq = load_poses(path)
        label = check_component(seq.label or path.parent.name, "label", path)  # becomes real/<split>/<label>/
        check_component(path.stem, "file name", path)
        if config.data.classes is None or label in config.data.classes:
            clips.append(RealClip(path, label, str(seq.meta.get("take", ""))))
    check_classes(config, {c.label for c in clips}, root=config.data.real, key="data.real", files="pose files",
                  clips="real clips", one_class="clips")
    return clips


def check_classes(
    config: StudyConfig, labels: set[str], *, root: Path, key: str, files: str, clips: str, one_class: str
) -> None:
    """The classes found under root (data.real or data.videos) against the config: some found, the target among
    them, every class of data.classes present, at least two. files / clips / one_class: the words the errors use
    for what was looked for, what a class holds, and (shorter) what one class alone holds."""
    found = sorted(labels)
    if not found:
        of = f" of data.classes {config.data.classes}" if config.data.classes is not None else ""
        raise ConfigError(f"{root}: {key}: no {files}{of} found")
    if config.target_class not in found:
        known = ", ".join(found)
        raise ConfigError(f"{root}: target_class: no {clips} of class {config.target_class!r} (found: {known})")
    missing = sorted(set(config.data.classes or []) - set(found))
    if missing:
        raise ConfigError(f"{root}: data.classes: no {clips} of {', '.join(map(repr, missing))}")
    if len(found) < 2:  # a recogniser of one class scores 1.000 whatever it learns
        raise ConfigError(f"{root}: {key}: holds {one_class} of one class only ({found[0]!r}); "
                          "a study needs at least 2 classes to tell apart")


def split_real_clips(config: StudyConfig) -> Splits:
    """The real clips split train/val/test; a class too small to split names the folder and the key."""
    try:
        return split_clips(discover_real_clips(config), seed=config.split_seed)
    except SplitError as exc:
        raise ConfigError(f"{config.data.real}: data.real: {exc}") from None
