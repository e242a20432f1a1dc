"""The pose-pair bank: aligned pairs computed once per study into studies/<name>/pairs/, reused by every trial.

The manifest is keyed by a content hash of every input file and the plan: the same inputs load from disk, any change
rebuilds. A build is written to a temporary folder and renamed into place, so a crash never leaves a half bank.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from generation.atomic import atomic_dir
from generation.blend.pairs import AlignedPair, align_pair, blend_pairs
from generation.pairs.plan import PairPlan, PairPlanError, plan_pairs
from generation.poses.io import load_poses
from generation.poses.sequence import PoseSequence

BANK_FORMAT = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class PairBank:
    directory: Path
    key: str
    plan: PairPlan
    pairs: list[AlignedPair]
    from_cache: bool

    def __len__(self) -> int:
        return len(self.pairs)

    def blend(self, weights: float | np.ndarray, method: str = "synthda") -> list[np.ndarray]:
        """Every pair blended at the given weight(s), in one vectorised call."""
        return blend_pairs(self.pairs, weights, method)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bank_key(
    plan: PairPlan, real: Sequence[Path], synthetic: Sequence[Path] = (), sources: Mapping[Path, str] | None = None
) -> str:
    """Content hash of the inputs (file bytes, not names or times) and the plan (and the sources pairs record)."""
    payload = {
        "format": BANK_FORMAT,
        "plan": plan.to_dict(),
        "real": sorted(file_digest(Path(p)) for p in real),
        "synthetic": sorted(file_digest(Path(p)) for p in synthetic),
    }
    if sources:  # only when given: pose studies' keys stay as they were
        payload["sources"] = sorted((file_digest(Path(p)), s) for p, s in sources.items())
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load_pair_bank(directory: str | Path, key: str | None = None) -> PairBank | None:
    """The bank stored in directory, or None when there is none or (given key) it was built from other inputs."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != BANK_FORMAT or (key is not None and manifest.get("key") != key):
            return None
        pairs = []
        for entry in manifest["pairs"]:
            with np.load(directory / entry["file"], allow_pickle=False) as data:
                pairs.append(
                    AlignedPair(
                        base=data["base"], other=data["other"], mode=entry["mode"], base_source=entry["base_source"],
                        other_source=entry["other_source"], fps=entry["fps"], label=entry["label"],
                    )
                )
        plan = PairPlan(**manifest["plan"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged bank is rebuilt, never trusted
    return PairBank(directory, manifest["key"], plan, pairs, from_cache=True)


def build_pair_bank(
    directory: str | Path,
    plan: PairPlan,
    real: Sequence[Path],
    synthetic: Sequence[Path] = (),
    *,
    progress: bool | None = None,
    sources: Mapping[Path, str] | None = None,
) -> PairBank:
    """Load the bank for these inputs from directory, or compute and store it there.

    sources: what a pair records as its clips' sources, by pose file (default: the pose file). A video study
    passes the videos the poses were extracted from, so that leak checks and looks compare videos with videos."""
    directory = Path(directory)
    sources = {Path(p): s for p, s in (sources or {}).items()}
    key = bank_key(plan, real, synthetic, sources)
    cached = load_pair_bank(directory, key)
    if cached is not None:
        return cached

    file_pairs = plan_pairs(plan, real, synthetic)
    pairs, entries = [], []
    loaded: dict[Path, PoseSequence] = {}
    with atomic_dir(directory) as staging:
        for index, (first, second) in enumerate(tqdm(file_pairs, desc="pair bank", unit="pair", disable=not progress)):
            for path in (first, second):
                if path not in loaded:
                    seq = load_poses(path)
                    loaded[path] = replace(seq, source=sources[path]) if path in sources else seq
            real_seq = _check_label(loaded[first], plan)
            other_seq = loaded[second] if plan.mode == "real-synth" else _check_label(loaded[second], plan)
            pair = align_pair(real_seq, other_seq, plan.mode, fps=plan.fps)
            name = f"pair_{index:05d}.npz"
            np.savez(staging / name, base=pair.base, other=pair.other)
            pairs.append(pair)
            entries.append(
                {
                    "file": name, "mode": pair.mode, "base_source": pair.base_source,
                    "other_source": pair.other_source, "frames": pair.num_frames, "fps": pair.fps, "label": pair.label,
                }
            )
        manifest = {"format": BANK_FORMAT, "key": key, "plan": plan.to_dict(), "pairs": entries}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return PairBank(directory, key, plan, pairs, from_cache=False)


def _check_label(seq: PoseSequence, plan: PairPlan) -> PoseSequence:
    if plan.target_class and seq.label and seq.label != plan.target_class:
        raise PairPlanError(f"{seq.source}: label: {seq.label!r} is not the target class {plan.target_class!r}")
    if plan.target_class and not seq.label:
        seq = seq.with_joints(seq.joints, label=plan.target_class)
    return seq
