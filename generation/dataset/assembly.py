"""A trial's dataset in TAO's layout: real clips rendered once per study, synthetic clips only in train/<target>.

studies/<name>/real/{train,val,test}/<class>/<video>/rgb/...   rendered once, reused by every trial
studies/<name>/trials/<n>/{train,val,test}/...                  hard links to the real frames + this trial's clips
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from generation.atomic import atomic_dir, check_writable_dir
from generation.blend import blend_pairs, check_weights
from generation.dataset.looks import Dressing
from generation.dataset.manifest import ClipRecord, TrialManifest, check_no_leak
from generation.dataset.rendering import ClipJob, render_and_write
from generation.dataset.settings import RenderSettings
from generation.dataset.splits import SPLITS, Splits
from generation.errors import AutoSynthDaError
from generation.pairs.bank import PairBank, file_digest
from generation.poses.io import load_poses
from generation.render import View, parse_views
from generation.safe_names import check_component

if TYPE_CHECKING:
    from generation.videos.look import SourceLook

REAL_FORMAT = 1


class DatasetError(AutoSynthDaError, ValueError):
    """A dataset request that cannot be met."""


@dataclass(frozen=True)
class RealRenders:
    """The real clips of every split as TAO frame folders. fps: their frame rate (video studies; None: each clip's
    own). videos: video studies: source path -> generation.videos.probe.VideoInfo as a dict (source size, rotation,
    frame rate), what FrameGeometry(source_size, size) needs to place synthetic clips like the real ones."""

    directory: Path
    label_map: dict[str, int]
    records: list[ClipRecord]
    from_cache: bool
    fps: float | None = None
    videos: dict[str, dict] = field(default_factory=dict)

    def train_clips(self, label: str) -> int:
        """Real TRAIN clips of a class (distinct pose files; several views of one clip count once)."""
        return len({r.source for r in self.records if r.split == "train" and r.label == label})


def _real_key(splits: Splits, settings: RenderSettings, seed: int) -> str:
    payload = {
        "format": REAL_FORMAT,
        "settings": {k: v for k, v in settings.to_dict().items() if k not in ("device", "batch_clips")},
        "seed": seed,
        "splits": {s: sorted((file_digest(c.path), c.label) for c in splits.of(s)) for s in SPLITS},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def render_real_splits(
    directory: str | Path, splits: Splits, settings: RenderSettings, *, seed: int = 42
) -> RealRenders:
    """Render every real clip of every split once (from each real view); reuse the renders when inputs are unchanged."""
    directory = Path(directory)
    key = _real_key(splits, settings, seed)
    manifest_path = directory / "manifest.json"
    if manifest_path.is_file():
        try:
            data = json.loads(manifest_path.read_text())
            if data.get("key") == key:
                records = [ClipRecord.from_dict(r) for r in data["records"]]
                return RealRenders(directory, data["label_map"], records, from_cache=True)
        except (ValueError, KeyError, TypeError):
            pass  # damaged: render again
    check_writable_dir(directory.parent)
    label_map = {label: i for i, label in enumerate(splits.classes())}
    views = parse_views(settings.real_views, seed=seed)
    with atomic_dir(directory) as staging:
        jobs, records = [], []
        for split in SPLITS:
            for clip in splits.of(split):
                seq = load_poses(clip.path)
                for view in views:
                    video = clip.name if len(views) == 1 else f"{clip.name}__{view.name}"
                    jobs.append(ClipJob(seq.joints, view, seed, staging / split / clip.label / video, seq.fps))
                    records.append(
                        ClipRecord(split=split, label=clip.label, video=video, kind="real", frames=seq.num_frames,
                                   view=view.name, seed=seed, source=str(clip.path))
                    )
        render_and_write(jobs, settings, desc="real clips")
        manifest = {"key": key, "label_map": label_map, "records": [r.to_dict() for r in records]}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return RealRenders(directory, label_map, records, from_cache=False)


def synthetic_count(ratio: float, real_train_clips: int) -> int:
    if not np.isfinite(ratio) or ratio < 0:
        raise DatasetError(f"ratio: must be a number >= 0, got {ratio}")
    return round(ratio * real_train_clips)


def assemble_trial(
    trial_dir: str | Path,
    real: RealRenders,
    bank: PairBank,
    *,
    target_class: str,
    weight: float,
    ratio: float,
    method: str,
    settings: RenderSettings,
    seed: int,
    looks: Mapping[str, SourceLook] | None = None,
) -> TrialManifest:
    """Build the trial's dataset: every real clip (linked, not copied) plus round(ratio x real train clips of the
    target) synthetic clips in train/<target_class>, drawn from the bank and the views with a seeded generator.

    looks (video studies): source video path -> its SourceLook, keyed like the pairs' base_source. Each synthetic
    clip then gets the letterbox bars of its geometry; settings.camera == "source" renders each pair's first clip
    from its base source's camera (view "source"; a source without a camera gets a drawn view, listed in the
    manifest's extra["no_source_camera"]); settings.background == "plates" puts a source-camera clip on its own
    source's plate and a drawn-view clip on a seeded choice among all plates (its geometry then is that plate's)."""
    trial_dir = Path(trial_dir)
    check_component(target_class, "target_class")  # becomes train/<target_class>/
    if target_class not in real.label_map:
        known = ", ".join(real.label_map)
        raise DatasetError(f"target_class: {target_class!r} is not a class of the dataset ({known})")
    check_weights(weight)
    count = synthetic_count(ratio, real.train_clips(target_class))
    if count and not len(bank):
        raise DatasetError(f"{bank.directory}: pair bank: empty, cannot make {count} synthetic clips")
    looks = dict(looks or {})
    dressing = Dressing(looks, settings, seed) if looks or settings.camera != "views" or \
        settings.background != "auto" else None
    check_writable_dir(trial_dir.parent)
    rng = np.random.default_rng(seed)
    views = parse_views(settings.synthetic_views, seed=seed)
    source_mode = dressing is not None and dressing.source_camera
    per_clip = min(settings.views_per_clip, len(views) + int(source_mode))
    n_pairs = -(-count // per_clip) if count else 0
    # Every pair is used once before any is used twice; the order is the trial's own.
    chosen: list[int] = []
    while len(chosen) < n_pairs:
        chosen.extend(int(i) for i in rng.permutation(len(bank)))
    chosen = chosen[:n_pairs]
    started = time.perf_counter()
    blended = blend_pairs([bank.pairs[i] for i in chosen], weight, method)
    timings = {"generation_s": time.perf_counter() - started}
    has_group = "group" in {f.name for f in fields(ClipRecord)}  # video studies' real records carry their group
    groups = {r.source: getattr(r, "group", "") for r in real.records}

    manifest = TrialManifest(dict(real.label_map), target_class, float(weight), float(ratio), method, seed)
    with atomic_dir(trial_dir) as staging:
        jobs = []
        for pair_index, joints in zip(chosen, blended):
            pair = bank.pairs[pair_index]
            seen_by: list[View] = []
            drawn = per_clip
            if source_mode:
                if dressing.has_camera(pair.base_source):
                    seen_by.append(dressing.SOURCE)
                    drawn -= 1
                drawn = min(drawn, len(views))
            seen_by.extend(views[int(i)] for i in rng.choice(len(views), size=drawn, replace=False))
            for view in seen_by:
                if len(jobs) == count:
                    break
                video = f"syn_{len(jobs):04d}_{view.name.replace(':', '_')}"
                job = ClipJob(joints, view, seed, staging / "train" / target_class / video, pair.fps)
                plate = ""
                if dressing is not None:
                    job, plate = dressing.dress(job, pair.base_source)
                jobs.append(job)
                record = ClipRecord(split="train", label=target_class, video=video, kind="synthetic",
                                    frames=int(joints.shape[0]), view=view.name, seed=seed,
                                    pair=(pair.base_source, pair.other_source), weight=float(weight), method=method,
                                    background=plate)
                if has_group:
                    record = replace(record, group=groups.get(pair.base_source, ""))
                manifest.clips.append(record)
        if dressing is not None and dressing.no_camera:
            manifest.extra["no_source_camera"] = sorted(dressing.no_camera)
        started = time.perf_counter()
        for record in real.records:
            link_tree(real.directory / record.split / record.label / record.video,
                       staging / record.split / record.label / record.video)
            manifest.clips.append(record)
        check_no_leak(manifest)
        timings["link_s"] = time.perf_counter() - started
        started = time.perf_counter()
        render_and_write(jobs, settings, desc="synthetic clips")
        timings["render_s"] = time.perf_counter() - started
        manifest.extra["timings"] = timings
        for split in SPLITS:  # TAO wants every class folder, even one a split happens not to hold
            for label in real.label_map:
                (staging / split / label).mkdir(parents=True, exist_ok=True)
        manifest.write(staging)
    return manifest


def link_tree(src: Path, dst: Path) -> None:
    """Hard-link a frame folder (same filesystem: no copy, no symlink that a container mount would break); a copy
    where hard links cannot be made (another filesystem)."""
    for path in sorted(src.rglob("*")):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
