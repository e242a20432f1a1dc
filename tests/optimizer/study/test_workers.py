"""Many `autosynthda worker` processes on one study, on a real PostgreSQL and on a journal file.

Workers are the real command (subprocesses); the scorer is the stand-in (it sleeps, then scores a known function of
(w, r)), so these tests measure the driver and the storage, not training. Every storage is parametrised.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from optimizer.scoring.standin import stand_in_value
from optimizer.study import StudyPaths, open_storage
from optimizer.study.recovery import assigned_params

SWARM = {
    "name": "swarm",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 16, "real_views": "front", "synthetic_views": "front", "format": "jpg"},
    "search": {"trials": 40, "seed": 0, "sampler": "random", "ratio": [0.0, 1.0]},
    "scorer": {"kind": "standin", "standin_seconds": 0.05},
    "tracking": {"enabled": False},
}


@pytest.fixture(params=["postgresql", "journal"])
def storage(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"journal:///{tmp_path / 'study.journal'}"


def write_config(tmp_path, **changes):
    config = {**SWARM, **changes}
    path = tmp_path / f"{config['name']}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def cli(*args):
    return [sys.executable, "-m", "optimizer.cli", *map(str, args)]


def setup_study(config, storage, studies):
    done = subprocess.run(cli("setup", config, "--storage", storage, "--studies-dir", studies, "--device", "cpu"),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def start_worker(config, storage, studies, log_dir, index):
    log_path = log_dir / f"worker{index}.log"
    proc = subprocess.Popen(cli("worker", config, "--storage", storage, "--studies-dir", studies),
                            stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                            env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    proc.log_path = log_path
    return proc


def in_trial_loop(proc) -> bool:
    """Past its start-up (imports, joining the study): from here on it is mostly inside trials."""
    return proc.poll() is None and " on study " in proc.log_path.read_text()


def wait_all(workers, timeout):
    deadline = time.monotonic() + timeout
    for proc in workers:
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))


def load(name, storage):
    return optuna.load_study(study_name=name, storage=open_storage(storage))


def logs(tmp_path):
    return "\n".join(f"--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(tmp_path.glob("worker*.log")))


def check_intact(study, studies):
    """Every completed trial has its value (the stand-in's function of its params), metrics and trial folder."""
    trial_dirs = StudyPaths.for_study(study.study_name, studies)
    for trial in study.get_trials(states=(TrialState.COMPLETE,)):
        assert trial.value == pytest.approx(stand_in_value(trial.params["weight"], trial.params["ratio"]))
        assert trial.user_attrs["metrics"]["mean_class_accuracy"] == pytest.approx(trial.value)
        folder = trial_dirs.trial_dir(trial.number)
        assert (folder / "manifest.json").is_file() and (folder / "result.json").is_file(), folder


def test_four_workers_share_forty_trials_and_lose_none(tmp_path, storage):
    config, studies = write_config(tmp_path), tmp_path / "studies"
    setup_study(config, storage, studies)
    workers = [start_worker(config, storage, studies, tmp_path, i) for i in range(4)]
    wait_all(workers, timeout=600)
    assert [w.returncode for w in workers] == [0] * 4, logs(tmp_path)
    study = load("swarm", storage)
    numbers = [t.number for t in study.trials]
    assert numbers == list(range(len(numbers)))  # unique and contiguous
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) >= 40
    assert set(states) == {TrialState.COMPLETE}  # nothing failed, nothing left running or waiting
    assert len(study.trials) <= 40 + 3  # at most one extra trial per other worker in the last instant
    ran_by = {(t.user_attrs["worker"]["host"], t.user_attrs["worker"]["pid"]) for t in study.trials}
    assert len(ran_by) == 4  # every worker took trials
    check_intact(study, studies)


def test_killed_workers_lose_no_trial(tmp_path, storage):
    """SIGKILL a worker at a random moment 10 times during a 20-trial study; a replacement starts each time."""
    config = write_config(tmp_path, name="killed", search={**SWARM["search"], "trials": 20},
                          scorer={"kind": "standin", "standin_seconds": 1.0})
    studies = tmp_path / "studies"
    setup_study(config, storage, studies)
    rng = random.Random(7)
    workers = [start_worker(config, storage, studies, tmp_path, i) for i in range(3)]
    started = len(workers)
    kills = 0
    deadline = time.monotonic() + 1200  # a cap: on a loaded machine a worker takes ~45 s to reach its first trial
    while kills < 10 and time.monotonic() < deadline:
        time.sleep(rng.uniform(0.5, 2.5))
        ready = [w for w in workers if in_trial_loop(w)]
        if not ready:
            continue
        victim = rng.choice(ready)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        kills += 1
        workers.append(start_worker(config, storage, studies, tmp_path, started))
        started += 1
    assert kills == 10
    # a last worker after the killing: it reaps whatever the last kill left running and finishes the budget
    workers.append(start_worker(config, storage, studies, tmp_path, started))
    wait_all([w for w in workers if w.returncode != -signal.SIGKILL], timeout=600)
    study = load("killed", storage)
    trials = study.trials
    assert not [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)], logs(tmp_path)
    assert sum(t.state == TrialState.COMPLETE for t in trials) >= 20
    check_intact(study, studies)
    killed = [t for t in trials if t.state == TrialState.FAIL]
    assert killed, "no kill landed inside a trial"
    for dead in killed:
        assert dead.user_attrs["fail_reason"].startswith("worker died")
        retries = [t for t in trials if t.user_attrs.get("retry_of") == dead.number]
        given = assigned_params(dead)  # a retry killed before its first suggest still carries its enqueued params
        if not given:  # killed between ask and suggest: it never had a point, there is nothing to retry
            assert not retries
            continue
        assert len(retries) == 1, f"trial {dead.number} retried {len(retries)} times"
        # a trial killed between its two suggests was given only the first: the retry keeps it and draws the second
        assert assigned_params(retries[0]).items() >= given.items()


def test_eight_workers_started_at_once_all_succeed(tmp_path, storage):
    """With MLflow tracking on: the storage, study, experiment and parent run come from `setup`, so a crowd of
    first starts races on nothing."""
    config = write_config(tmp_path, name="crowd", search={**SWARM["search"], "trials": 8},
                          scorer={"kind": "standin", "standin_seconds": 0.5}, tracking={"enabled": True})
    studies = tmp_path / "studies"
    setup_study(config, storage, studies)
    workers = [start_worker(config, storage, studies, tmp_path, i) for i in range(8)]
    wait_all(workers, timeout=600)
    assert [w.returncode for w in workers] == [0] * 8, logs(tmp_path)
    study = load("crowd", storage)
    assert sum(t.state == TrialState.COMPLETE for t in study.trials) >= 8
    assert "warning: MLflow" not in logs(tmp_path)

    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{StudyPaths.for_study('crowd', studies).root / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("crowd")
    runs = client.search_runs([experiment.experiment_id])
    assert len([r for r in runs if "mlflow.parentRunId" not in r.data.tags]) == 1
    assert len([r for r in runs if "mlflow.parentRunId" in r.data.tags]) == len(study.trials)


def test_a_worker_without_setup_is_told_to_run_it(tmp_path, storage):
    config, studies = write_config(tmp_path), tmp_path / "studies"
    done = subprocess.run(cli("worker", config, "--storage", storage, "--studies-dir", studies), capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert "has no study 'swarm'" in done.stderr and "autosynthda setup" in done.stderr


def test_a_retried_trial_takes_over_the_dataset_its_dead_predecessor_wrote(tmp_path):
    """Killed while scoring: the retry (same params, same seed) renames the finished dataset instead of redrawing it."""
    storage = f"journal:///{tmp_path / 'study.journal'}"
    slow = write_config(tmp_path, name="takeover", search={**SWARM["search"], "trials": 2},
                        scorer={"kind": "standin", "standin_seconds": 60.0})
    studies = tmp_path / "studies"
    setup_study(slow, storage, studies)
    worker = start_worker(slow, storage, studies, tmp_path, 0)
    trials = StudyPaths.for_study("takeover", studies).trials
    deadline = time.monotonic() + 600  # a cap for a loaded machine, not a timing
    while not (trials / "00000" / "manifest.json").is_file():  # the baseline's dataset is complete: it is scoring
        assert time.monotonic() < deadline and worker.poll() is None, logs(tmp_path)
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    first = yaml.safe_load((trials / "00000" / "manifest.json").read_text())
    fast = write_config(tmp_path, name="takeover", search={**SWARM["search"], "trials": 2},
                        scorer={"kind": "standin", "standin_seconds": 0.0})
    rerun = start_worker(fast, storage, studies, tmp_path, 1)
    wait_all([rerun], timeout=300)
    assert rerun.returncode == 0, logs(tmp_path)
    study = load("takeover", storage)
    dead, retry = study.trials[0], study.trials[1]
    assert dead.state == TrialState.FAIL and retry.user_attrs["retry_of"] == 0 and retry.params == dead.params
    assert retry.state == TrialState.COMPLETE
    assert not (trials / "00000").exists()  # moved, not copied or redrawn
    assert yaml.safe_load((trials / "00001" / "manifest.json").read_text())["clips"] == first["clips"]


def test_worker_threads_must_be_positive(tmp_path, autosynthda):
    result = autosynthda("worker", write_config(tmp_path), "--threads", "0", "--storage", "journal:///nowhere/x")
    assert result.returncode == 2 and result.stderr.strip() == "error: --threads: must be >= 1, got 0"
