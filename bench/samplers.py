"""`autosynthda bench samplers`: every sampler on the toy objectives, noise 0 / 0.01 / 0.03, many seeds.

A sampler's answer after n trials is what a user would take at that point: the finite-difference search's current
estimate (its recommendation, replayed from the first n trials), or, for TPE, GP and random, the best trial so far.
"Trials to reach" is the first n whose answer is within TOL of the optimum.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import optuna

from bench.toys import RATIO, TOYS, WEIGHT, Toy
from optimizer.samplers import FiniteDifferenceSampler, trial_crn_seed
from optimizer.samplers import make_sampler as make_study_sampler

SAMPLER_NAMES = ("legacy", "spsa", "tpe", "gp", "random")
NOISES = (0.0, 0.01, 0.03)
BUDGETS = (10, 20, 40)
TOL = 0.02


@dataclass(frozen=True)
class Run:
    toy: str
    sigma: float
    sampler: str
    seed: int


@dataclass
class RunResult:
    run: Run
    distances: list[float]  # the answer's distance to the optimum after 1..max(BUDGETS) trials
    trials: int  # trials actually run (legacy stops early)
    seconds: float

    def reach(self) -> int | None:
        return next((n + 1 for n, d in enumerate(self.distances) if d <= TOL), None)

    def settle(self) -> int | None:
        """The first n from which the answer stays within TOL until the budget (passing by does not count)."""
        n = len(self.distances)
        while n > 0 and self.distances[n - 1] <= TOL:
            n -= 1
        return None if n == len(self.distances) else n + 1


def make_sampler(name: str, toy: Toy, seed: int) -> optuna.samplers.BaseSampler:
    bounds = {"weight": WEIGHT, "ratio": RATIO} if toy.dims == 2 else {"weight": WEIGHT}
    if name == "legacy":  # the ratio is held at the middle of its range, as in a study
        return FiniteDifferenceSampler("legacy", bounds={"weight": WEIGHT, "ratio": RATIO}, seed=seed)
    if name == "spsa":
        return FiniteDifferenceSampler("spsa", bounds=bounds, seed=seed)
    return make_study_sampler(name, seed)  # the study's own tpe / gp / random


def run_one(run: Run) -> RunResult:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore")
    toy = next(t for t in TOYS if t.name == run.toy)
    budget = max(BUDGETS)
    sampler = make_sampler(run.sampler, toy, run.seed)
    rng = np.random.default_rng([run.seed, TOYS.index(toy), NOISES.index(run.sigma) if run.sigma in NOISES else 9])

    def objective(trial: optuna.Trial) -> float:
        point = {"weight": trial.suggest_float("weight", *WEIGHT)}
        if toy.dims == 2:
            point["ratio"] = trial.suggest_float("ratio", *RATIO)
        crn = trial_crn_seed(trial)
        return toy.value(point, run.sigma, crn if crn is not None else run.seed * 10_000 + trial.number, rng)

    study = optuna.create_study(direction="maximize", sampler=sampler)
    started = time.perf_counter()
    study.optimize(objective, n_trials=budget)
    seconds = time.perf_counter() - started
    trials = study.trials
    distances = []
    best: optuna.trial.FrozenTrial | None = None
    for n in range(1, budget + 1):
        if isinstance(sampler, FiniteDifferenceSampler):
            answer = sampler.replay(trials[:n]).recommendation
        else:
            if n <= len(trials) and (best is None or trials[n - 1].value > best.value):
                best = trials[n - 1]
            answer = best.params
        distances.append(toy.distance(answer))
    return RunResult(run, distances, len(trials), seconds)


@dataclass
class Cell:
    results: list[RunResult] = field(default_factory=list)

    def reaches(self, settle: bool = False) -> list[float]:
        found = [res.settle() if settle else res.reach() for res in self.results]
        return [math.inf if r is None else float(r) for r in found]

    def median_reach(self, settle: bool = False) -> float:
        return statistics.median(self.reaches(settle))

    def success(self, settle: bool = False) -> float:
        return sum(math.isfinite(r) for r in self.reaches(settle)) / len(self.results)

    def distance_at(self, budget: int) -> float:
        return statistics.median(res.distances[budget - 1] for res in self.results)


def run_benchmark(
    seeds: int, gp_seeds: int, jobs: int, samplers: Sequence[str] = SAMPLER_NAMES, log: Callable[[str], None] = print
) -> dict[tuple[str, float, str], Cell]:
    runs = [
        Run(toy.name, sigma, name, seed)
        for name in samplers
        for toy in TOYS
        for sigma in NOISES
        for seed in range(gp_seeds if name == "gp" else seeds)
    ]
    runs.sort(key=lambda r: r.sampler != "gp")  # the slow ones first, so the pool ends together
    cells: dict[tuple[str, float, str], Cell] = {}
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        for i, result in enumerate(pool.imap_unordered(run_one, runs, chunksize=1), 1):
            r = result.run
            cells.setdefault((r.toy, r.sigma, r.sampler), Cell()).results.append(result)
            if i % 100 == 0 or i == len(runs):
                log(f"{i}/{len(runs)} runs, {time.perf_counter() - started:.0f}s")
    return cells


def _reach_text(cell: Cell, settle: bool = False) -> str:
    median = cell.median_reach(settle)
    head = f">{max(BUDGETS)}" if math.isinf(median) else f"{median:g}"
    return f"{head} ({cell.success(settle):.0%})"


def target_check(
    cells: dict[tuple[str, float, str], Cell], candidate: str, settle: bool = False
) -> tuple[int, int, int]:
    """(cells where candidate needs <= half of legacy's median trials, cells where it is no worse than the median of
    TPE and of GP, all cells). A legacy that never gets there counts as infinitely many trials; a candidate that never
    gets there meets neither target in that cell."""
    keys = sorted({(t, s) for t, s, _ in cells})

    def median(t: str, s: float, name: str) -> float:
        return cells[(t, s, name)].median_reach(settle)

    half = sum(
        1 for t, s in keys if math.isfinite(c := median(t, s, candidate)) and c <= 0.5 * median(t, s, "legacy")
    )
    no_worse = sum(
        1
        for t, s in keys
        if math.isfinite(c := median(t, s, candidate)) and all(c <= median(t, s, o) for o in ("tpe", "gp"))
    )
    return half, no_worse, len(keys)


def write_table(
    cells: dict[tuple[str, float, str], Cell], out: Path, *, seeds: int, gp_seeds: int, jobs: int, wall: float
) -> str:
    samplers = [s for s in SAMPLER_NAMES if any(k[2] == s for k in cells)]
    keys = sorted({(t, s) for t, s, _ in cells}, key=lambda k: ([t.name for t in TOYS].index(k[0]), k[1]))
    lines = [
        "# Sampler benchmark",
        "",
        f"`autosynthda bench samplers` on {platform.machine()} ({os.cpu_count()} CPUs, {jobs} worker processes), "
        f"{wall / 60:.1f} min. {seeds} seeds per cell"
        + (f", GP {gp_seeds} seeds (~100x slower a trial than the others)" if gp_seeds != seeds else "")
        + f". Budget {max(BUDGETS)} trials; legacy stops by itself.",
        "",
        "Objectives (value ~ accuracy, maximised): "
        + "; ".join(f"`{t.name}`: {t.note}" for t in TOYS)
        + ". Noise: value + sigma (rho z_seed + sqrt(1 - rho^2) e), half the variance from the trial's seed (SPSA's"
        " probe pairs share it), half fresh per evaluation.",
        "",
        "The answer after n trials: legacy and spsa report their current estimate; TPE, GP and random their best trial"
        " so far. Distance: |w - w*| (2-D: max of |w - w*| and |r - r*| / 2). Legacy holds the ratio at 1.0.",
        "",
    ]
    titles = {
        False: f"## Trials until the answer is first within {TOL} of the optimum",
        True: f"## Trials until the answer is within {TOL} and stays there up to {max(BUDGETS)} (passing by does not"
        " count)",
    }
    for settle, title in titles.items():
        lines += [
            title,
            "",
            f"Median over seeds (share of seeds that got there within {max(BUDGETS)} trials).",
            "",
            "| objective | noise | " + " | ".join(samplers) + " |",
            "|---|---:|" + "---:|" * len(samplers),
        ]
        for t, s in keys:
            row = " | ".join(_reach_text(cells[(t, s, n)], settle) for n in samplers)
            lines.append(f"| {t} | {s:g} | {row} |")
        lines.append("")
    lines += [
        f"## Median distance of the answer to the optimum after {' / '.join(map(str, BUDGETS))} trials",
        "",
        "| objective | noise | " + " | ".join(samplers) + " |",
        "|---|---:|" + "---:|" * len(samplers),
    ]
    for t, s in keys:
        row = [" / ".join(f"{cells[(t, s, n)].distance_at(b):.3f}" for b in BUDGETS) for n in samplers]
        lines.append(f"| {t} | {s:g} | " + " | ".join(row) + " |")
    lines += ["", "## Against the target", ""]
    lines.append(
        "Cells (objective x noise) where the sampler's median trials meet each target, first reach / reach and stay."
    )
    lines.append("")
    lines.append("| sampler | <= half of legacy's trials | no worse than TPE's and GP's median | time per trial |")
    lines.append("|---|---:|---:|---:|")
    for name in samplers:
        per_trial = statistics.mean(
            r.seconds / max(r.trials, 1) for (_, _, n), c in cells.items() if n == name for r in c.results
        )
        if name == "legacy" or not {"legacy", "tpe", "gp"} <= set(samplers):
            lines.append(f"| {name} | - | - | {per_trial * 1000:.1f} ms |")
            continue
        (h1, n1, total), (h2, n2, _) = target_check(cells, name), target_check(cells, name, settle=True)
        lines.append(f"| {name} | {h1} / {h2} of {total} | {n1} / {n2} of {total} | {per_trial * 1000:.1f} ms |")
    text = "\n".join(lines) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text
