"""A driver killed with SIGKILL mid-run (runtime local): its TAO child dies with it, TAO's own workers are found from
the trial's process record and stopped by the reaper, and the private spec folder holding the key is removed at the
next start. Real processes throughout; every process a test starts is killed in its finally."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from optimizer.scoring.tao.docker_runtime import run_kwargs
from optimizer.scoring.tao.errors import Redactor
from optimizer.scoring.tao.orphans import (
    SPEC_PREFIX,
    alive,
    private_spec_dir,
    reap_orphans,
    start_time,
    sweep_spec_dirs,
    write_record,
)
from optimizer.scoring.tao.runtimes import ApptainerRuntime, Job, LocalRuntime
from tests.optimizer.scoring.tao.conftest import make_trial

SECRET = "tao-key-0rphan-5ecret"

# A TAO stand-in for this test only: like TAO, it starts workers of its own (one `sleep`) in its process group.
FAKE_TAO = """#!/bin/sh
sleep 600 &
echo "$$ $!" > "$TAO_FAKE_PIDS"
env > "$TAO_FAKE_PIDS.env"
wait
"""

DRIVER = """
import json, sys
from pathlib import Path
from optimizer.scoring import TrialDataset
from optimizer.scoring.tao import TaoConfig, TaoScorer
from optimizer.scoring.tao.runtimes import LocalRuntime
root, label_map = sys.argv[1], json.loads(sys.argv[2])
cfg = TaoConfig(runtime="local", epochs=1, batch_size=2, encryption_key_env="TAO_TEST_KEY", timeout_s=600)
TaoScorer(cfg, "orphans", LocalRuntime(cfg.gpus, 1.0)).score(TrialDataset(Path(root), label_map, "fall"), seed=0)
"""


def wait_for(predicate, limit_s: float = 60.0) -> bool:
    """Polls until predicate() holds (a bound on a wait, not a speed assertion)."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def kill_quietly(*pids: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def gone(pid: int) -> bool:
    return start_time(pid) is None  # no such process, or a zombie


@pytest.fixture
def fake_tao(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "action_recognition"
    exe.write_text(FAKE_TAO)
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return exe


def test_a_driver_killed_with_sigkill_leaves_no_tao_process_and_no_key(fake_tao, tmp_path, monkeypatch):
    trial = make_trial(tmp_path / "trials" / "00003", {"fall": 2, "walk": 2}, {"fall": 2, "walk": 2},
                       {"fall": 1, "walk": 1})
    scratch, pids_file = tmp_path / "tmp", tmp_path / "pids"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "TAO_TEST_KEY": SECRET, "TAO_FAKE_PIDS": str(pids_file),
           "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")])}
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(trial.root), json.dumps(dict(trial.label_map))],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    child = worker = None
    try:
        assert wait_for(lambda: pids_file.is_file() and len(pids_file.read_text().split()) == 2 or
                        driver.poll() is not None), "the fake TAO never started"
        assert driver.poll() is None, driver.stderr.read().decode()
        child, worker = map(int, pids_file.read_text().split())
        record = trial.root / "tao" / "train.process.json"
        assert json.loads(record.read_text())["pgid"] == child
        (spec_dir,) = scratch.glob(f"{SPEC_PREFIX}*")
        assert SECRET in (spec_dir / "train.yaml").read_text()

        driver.kill()
        driver.wait()
        assert wait_for(lambda: gone(child), 30), "TAO outlived its driver"  # PR_SET_PDEATHSIG
        assert not gone(worker)  # its own workers do not get the signal: the reaper's job
        (reaped,) = reap_orphans(trial.root.parent)
        assert reaped["killed"] == [worker] and reaped["driver_pid"] == driver.pid
        assert wait_for(lambda: gone(worker), 30)
        assert not record.exists()
        assert reap_orphans(trial.root.parent) == []

        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        with private_spec_dir() as fresh:  # the next start removes the dead driver's key folder
            assert spec_dir.exists() is False and fresh.parent == scratch
        assert not list(scratch.iterdir())
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        kill_quietly(*(p for p in (child, worker) if p))


def test_local_runtime_passes_tao_only_what_it_needs(fake_tao, tmp_path, monkeypatch):
    pids_file = tmp_path / "pids"
    monkeypatch.setenv("TAO_FAKE_PIDS", str(pids_file))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "cloud-credential")
    monkeypatch.setenv("WANDB_API_KEY", "wandb-token")
    monkeypatch.setenv("TAO_ENCRYPTION_KEY", SECRET)  # a TAO_ name, but it holds the key: only the spec has it
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("TAO_STANDIN_EPOCH_S", "0")
    job = Job("j", ("action_recognition", "train"), (), log_path=tmp_path / "train.log", env={"JOB_SETTING": "1"},
              redact=Redactor([SECRET]))
    handle = LocalRuntime(gpus="none", grace_s=1).start(job)
    try:
        assert wait_for(lambda: pids_file.is_file() and Path(f"{pids_file}.env").stat().st_size > 0)
    finally:
        handle.close()
    env = dict(line.split("=", 1) for line in Path(f"{pids_file}.env").read_text().splitlines() if "=" in line)
    assert "AWS_SECRET_ACCESS_KEY" not in env and "WANDB_API_KEY" not in env and "TAO_ENCRYPTION_KEY" not in env
    assert SECRET not in Path(f"{pids_file}.env").read_text()
    assert env["WANDB_MODE"] == "disabled" and env["JOB_SETTING"] == "1" and env["CUDA_VISIBLE_DEVICES"] == ""
    assert env["LC_ALL"] == "C.UTF-8" and env["TAO_STANDIN_EPOCH_S"] == "0" and env["PATH"] == os.environ["PATH"]
    assert not (tmp_path / "train.process.json").exists()  # removed when the run ended


def sleeper() -> subprocess.Popen:
    return subprocess.Popen(["sleep", "600"], start_new_session=True)


def test_the_reaper_leaves_live_drivers_and_reused_pids_alone(tmp_path):
    (tao := tmp_path / "00001" / "tao").mkdir(parents=True)
    run = sleeper()
    try:
        write_record(tao / "train.process.json", run.pid, "sleep")  # the driver is this process: alive
        assert reap_orphans(tmp_path) == [] and (tao / "train.process.json").exists()
        assert alive(run.pid, start_time(run.pid))

        record = json.loads((tao / "train.process.json").read_text())
        dead = subprocess.Popen(["true"])
        dead.wait()
        stale = {**record, "driver_pid": dead.pid, "start": record["start"] - 1}  # the pid now names another process
        (tao / "train.process.json").write_text(json.dumps(stale))
        (reaped,) = reap_orphans(tmp_path)
        assert reaped["killed"] == [] and run.poll() is None and not (tao / "train.process.json").exists()
    finally:
        run.kill()
        run.wait()


def test_spec_dirs_of_live_owners_and_other_hosts_stay(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live = sleeper()
    try:
        with private_spec_dir() as mine:
            tag = mine.name.split("-")[5]
            theirs = tmp_path / f"{SPEC_PREFIX}{live.pid}-{start_time(live.pid)}-{tag}-abc"
            other_host = tmp_path / f"{SPEC_PREFIX}999999-1-00000000-abc"
            legacy = tmp_path / f"{SPEC_PREFIX}k2j3h4"
            for path in (theirs, other_host, legacy):
                path.mkdir()
            assert sweep_spec_dirs(tmp_path) == []
            assert mine.exists() and theirs.exists() and other_host.exists() and legacy.exists()
            live.kill()
            live.wait()
            assert sweep_spec_dirs(tmp_path) == [theirs]
        assert not mine.exists()
    finally:
        if live.poll() is None:
            live.kill()
            live.wait()


def test_cpu_only_requests_no_gpu(tmp_path):
    job = Job("j", ("action_recognition", "train"), (), log_path=tmp_path / "log")
    assert "--nv" not in ApptainerRuntime("tao.sif", gpus="none", executable="none").argv(job)
    kwargs = run_kwargs(job, image="i", gpus="none", shm_size="1G", user="1:1", network="none")
    assert kwargs["device_requests"] == [] and kwargs["network_mode"] == "none"
    assert "network_mode" not in run_kwargs(job, image="i", gpus="all", shm_size="1G", user="1:1")
