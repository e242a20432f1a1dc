"""What a finite-difference search needs next, computed from the results it has: the shared types of its modes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Probe:
    """One evaluation the search asks for. key is its identity in the study storage; point holds raw parameter values
    (searched and fixed); seed, when set, is the common-random-numbers seed shared by the probes of one difference."""

    key: str
    point: dict[str, float]
    seed: int | None = None

    def to_attr(self) -> dict[str, object]:
        return {"key": self.key, "point": dict(self.point), "seed": self.seed}


@dataclass(frozen=True)
class Plan:
    """needed: the probes the search waits for, in the order a single worker evaluates them (empty when done).
    recommendation: the search's current estimate of the best point; iteration: how many rounds are complete."""

    needed: tuple[Probe, ...]
    recommendation: dict[str, float]
    iteration: int
    done: bool = False
    reason: str = ""
    trace: list[dict[str, object]] = field(default_factory=list)


class Strategy(Protocol):
    """A search mode: a pure function from results (probe key -> loss) to the next Plan. Replaying it on the
    study's trials is how the sampler resumes, so it must be deterministic and keep no state between calls."""

    mode: str
    searched: tuple[str, ...]

    def plan(self, losses: Mapping[str, float]) -> Plan: ...

    def key_for_params(self, params: Mapping[str, float]) -> str | None:
        """The probe key a trial with these params answers, for modes that reuse any trial at the same point."""
        ...
