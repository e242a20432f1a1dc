"""A study resumes: completed trials are kept, the bank and real renders are loaded, a SIGKILLed trial is re-run.

Runs the real command line with a fast configuration of the real embedded scorer (1 epoch, 32 px, 8 frames).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from optimizer.study import StudyPaths, open_storage
from optimizer.trials import assigned_params
from testing.storages import PERSISTENT_STORAGE_MODES

FAST = {
    "name": "fast",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 32, "real_views": "front", "synthetic_views": "front,random:2"},
    "search": {"trials": 3, "seed": 0, "sampler": "random"},
    "scorer": {"epochs": 2, "frames": 8, "size": 32, "batch_size": 8},
}


@pytest.fixture
def fast_study(tmp_path):
    path = tmp_path / "fast.yaml"
    path.write_text(yaml.safe_dump(FAST))
    return path, tmp_path / "studies"


def load(studies, storage=None):
    paths = StudyPaths.for_study("fast", studies)
    storage = open_storage(storage) if storage else paths.default_storage
    return optuna.load_study(study_name="fast", storage=storage), paths


def command(path, studies, trials, storage=None):
    return [sys.executable, "-m", "optimizer.cli", "optimize", str(path), "--trials", str(trials),
            "--studies-dir", str(studies), "--device", "cpu", *(["--storage", storage] if storage else [])]


def test_rerun_keeps_completed_trials_and_loads_the_bank(fast_study):
    path, studies = fast_study
    first = subprocess.run(command(path, studies, 2), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "pair bank: 1 pairs computed" in first.stdout and "baseline" in first.stdout
    study, paths = load(studies)
    before = {t.number: (t.params, t.value, t.datetime_complete) for t in study.trials}
    assert study.trials[0].params["ratio"] == 0.0 and study.trials[0].user_attrs["baseline"]
    bank_mtime = (paths.pairs / "manifest.json").stat().st_mtime_ns
    real_mtime = (paths.real / "manifest.json").stat().st_mtime_ns

    second = subprocess.run(command(path, studies, 3), capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "pair bank: 1 pairs loaded from disk" in second.stdout and "videos loaded from disk" in second.stdout
    study, _ = load(studies)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert {n: (t.params, t.value, t.datetime_complete) for n, t in enumerate(study.trials) if n < 2} == before
    assert (paths.pairs / "manifest.json").stat().st_mtime_ns == bank_mtime
    assert (paths.real / "manifest.json").stat().st_mtime_ns == real_mtime
    timings = study.trials[2].user_attrs["timings"]
    assert set(timings) == {"generation_s", "render_s", "train_s", "eval_s", "overhead_s"}
    duration = (study.trials[2].datetime_complete - study.trials[2].datetime_start).total_seconds()
    assert 0.0 <= timings["overhead_s"] <= sum(timings.values()) <= duration + 1.0  # speed belongs in bench, not here
    # heavy frames are dropped after scoring; the manifest, the result and the small review previews stay
    trial_dir = paths.trial_dir(2)
    assert sorted(p.name for p in trial_dir.iterdir()) == ["manifest.json", "previews", "result.json"]


# The killed run and the rerun are separate processes: in-memory storage cannot outlive the first, so it cannot apply.
@pytest.mark.parametrize("storage", PERSISTENT_STORAGE_MODES, indirect=True)
def test_sigkill_mid_trial_then_rerun_finishes_the_rest(fast_study, storage):
    path, studies = fast_study
    paths = StudyPaths.for_study("fast", studies)
    proc = subprocess.Popen(command(path, studies, 3, storage), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed = None
    deadline = time.monotonic() + 900  # a cap for a loaded machine, not a timing
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            # Trial 0's folder exists only once the run has created the study: polling earlier would race it to
            # create the storage's schema.
            if paths.trial_dir(0).exists():
                try:
                    trials = load(studies, storage)[0].trials
                except Exception:  # the schema may still be being created
                    trials = []
                running = [t for t in trials if t.state == TrialState.RUNNING and t.params]
                if trials and trials[0].state == TrialState.COMPLETE and running:
                    os.kill(proc.pid, signal.SIGKILL)
                    killed = True
                    break
            time.sleep(0.05)
    finally:
        if proc.poll() is None and killed is None:
            proc.kill()
        proc.wait()
    assert killed is not None, "never saw a running trial after the first completed one"
    study, _ = load(studies, storage)
    # The victim is what the storage holds RUNNING after the kill: the trial seen running just before may have
    # finished in between (the worker then died in the next one, or between trials).
    running = [t for t in study.trials if t.state == TrialState.RUNNING]
    if not running or not assigned_params(running[0]):
        pytest.skip("the kill landed between two trials or before the trial had a point: nothing to retry "
                    "(covered by test_recovery_orphans)")
    killed = running[0]
    done_before = {t.number: t.datetime_complete for t in study.trials if t.state == TrialState.COMPLETE}
    bank_mtime = (paths.pairs / "manifest.json").stat().st_mtime_ns

    rerun = subprocess.run(command(path, studies, 3, storage), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"re-queued trials left running by a dead worker: [{killed.number}]" in rerun.stdout
    study, _ = load(studies, storage)
    finished = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(finished) == 3
    assert study.trials[killed.number].state == TrialState.FAIL
    retry = [t for t in study.trials if t.user_attrs.get("retry_of") == killed.number]
    # The retry evaluates the point the killed trial was given; killed between its suggests, that trial holds only
    # the weight, and the retry keeps it and draws the ratio.
    assert len(retry) == 1 and retry[0].state == TrialState.COMPLETE and set(retry[0].params) == {"weight", "ratio"}
    assert killed.params.items() <= retry[0].params.items()
    assert {n: study.trials[n].datetime_complete for n in done_before} == done_before  # not rerun
    assert (paths.pairs / "manifest.json").stat().st_mtime_ns == bank_mtime
    status = subprocess.run([sys.executable, "-m", "optimizer.cli", "status", "fast", "--studies-dir", str(studies),
                             "--storage", storage],
                            capture_output=True, text=True)
    assert status.returncode == 0 and f"retry of {killed.number}" in status.stdout and "*" in status.stdout
