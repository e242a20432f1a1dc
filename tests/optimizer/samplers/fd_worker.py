"""A study worker for the storage tests, run as a subprocess: the runner's loop (re-queue dead trials, one trial at a
time until the budget or the sampler is done) around a toy objective whose value depends only on the point and the
trial's common-random-numbers seed, so a probe evaluated twice gives the same value.

python fd_worker.py STORAGE_URL MODE TRIALS SLEEP_S
"""

from __future__ import annotations

import sys
import time

import numpy as np
import optuna

from optimizer.config import SearchConfig
from optimizer.samplers import make_sampler, sampler_done, trial_crn_seed
from optimizer.study.recovery import requeue_dead_trials, worker_identity
from optimizer.study.runner import finished_trials
from optimizer.study.storage import open_storage
from optimizer.trials import UserAttr

STUDY = "toy"


def toy_value(weight: float, ratio: float, seed: int | None) -> float:
    offset = 0.0 if seed is None else 0.02 * float(np.random.default_rng(seed).standard_normal())
    return 0.9 - (weight - 0.3) ** 2 - 0.25 * (ratio - 1.4) ** 2 + offset


def toy_sampler(mode: str, poll: float = 0.05) -> optuna.samplers.BaseSampler:
    sampler = make_sampler(mode, 0, SearchConfig(sampler=mode))
    sampler.poll_interval = poll
    return sampler


def main(url: str, mode: str, trials: int, sleep_s: float) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=STUDY, storage=open_storage(url), sampler=toy_sampler(mode))

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr(UserAttr.WORKER, worker_identity())
        weight, ratio = trial.suggest_float("weight", 0.0, 1.0), trial.suggest_float("ratio", 0.0, 2.0)
        time.sleep(sleep_s)
        return toy_value(weight, ratio, trial_crn_seed(trial))

    while finished_trials(study) < trials and sampler_done(study) is None:
        # Every round, as the runner's loop does: a trial killed before it named its worker is re-queued only after
        # a grace period, and the search needs its probe.
        requeue_dead_trials(study)
        study.optimize(objective, n_trials=1, catch=(Exception,))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
