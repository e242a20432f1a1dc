"""Which clips are paired: SynthDa's seeded real-real sampling, or each real clip with a synthetic motion."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generation.blend.pairs import MIX_MODES
from generation.errors import AutoSynthDaError


class PairPlanError(AutoSynthDaError, ValueError):
    """A pair plan that cannot be satisfied by the given clips."""


@dataclass(frozen=True)
class PairPlan:
    """How to pair clips of the target class.

    mode: "real-real" (pairs of real clips) or "real-synth" (each real clip with a synthetic motion).
    num_pairs: real-real only, SynthDa's k; None takes every combination.
    seed: SynthDa's random.seed(42) by default. fps: resample both clips to this rate before the stretch (None keeps
    SynthDa's behaviour of ignoring frame rates).
    """

    mode: str = "real-synth"
    target_class: str = ""
    num_pairs: int | None = None
    seed: int = 42
    fps: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MIX_MODES:
            raise PairPlanError(f"pair plan: mode: unknown mix mode {self.mode!r} (known: {', '.join(MIX_MODES)})")
        if self.num_pairs is not None and self.num_pairs < 1:
            raise PairPlanError(f"pair plan: num_pairs: must be >= 1, got {self.num_pairs}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plan_pairs(plan: PairPlan, real: Sequence[Path], synthetic: Sequence[Path] = ()) -> list[tuple[Path, Path]]:
    """The (real, other) file pairs of a plan, deterministic for the plan's seed and the sorted inputs."""
    clips = sorted(Path(p) for p in real)
    if plan.mode == "real-real":
        if len(clips) < 2:
            raise PairPlanError(
                f"pair plan: real-real needs at least 2 real clips of {plan.target_class!r}, got {len(clips)}"
            )
        combos = list(itertools.combinations(clips, 2))
        k = len(combos) if plan.num_pairs is None else min(plan.num_pairs, len(combos))
        # Exactly SynthDa's `random.seed(42); random.sample(list(combinations(clips, 2)), k)`, without global state.
        return random.Random(plan.seed).sample(combos, k)
    motions = sorted(Path(p) for p in synthetic)
    if not clips:
        raise PairPlanError(f"pair plan: no real clips of {plan.target_class!r} to pair")
    if not motions:
        raise PairPlanError("pair plan: real-synth needs at least one synthetic motion file")
    # Each real clip gets one motion; a seeded shuffle dealt round-robin uses every motion about equally often.
    random.Random(plan.seed).shuffle(motions)
    return [(clip, motions[i % len(motions)]) for i, clip in enumerate(clips)]
