"""The Docker runtime on a real daemon, real containers, CPU only (gpus none, network none): the stand-in image
(Debian + python3 + PyYAML + tests/optimizer/scoring/tao/standin) run through the project's own DockerRuntime and TaoScorer.

What a container really does is checked from outside: a write to a data mount fails inside it, the results dir
takes writes, files come back as the uid:gid the container ran as, and no container of the study is left after
success, failure, timeout, pruning or Ctrl-C (the `autosynthda.study` label finds leftovers).
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from optimizer.scoring import ScoringPruned
from optimizer.scoring.tao import TaoConfig, TaoScorer
from optimizer.scoring.tao.docker_runtime import DockerRuntime
from optimizer.scoring.tao.errors import TaoError, TaoTimeout
from optimizer.scoring.tao.runtimes import Job, Mount
from tests.optimizer.scoring.tao.conftest import make_trial
from tests.optimizer.scoring.tao.docker.conftest import STUDY, owned_by_us

pytestmark = pytest.mark.usefixtures("docker_env", "no_leftovers")

PROBE = """
import os, pathlib, sys
print("uid", os.getuid(), "gid", os.getgid(), flush=True)
pathlib.Path("/results/ok").write_text("written")
try:
    pathlib.Path("/data/x").write_text("nope")
    print("data writable", flush=True)
except OSError as exc:
    print("data read-only errno", exc.errno, flush=True)
print("data sees", sorted(os.listdir("/data")), flush=True)
"""


def runtime(image: str, **kw) -> DockerRuntime:
    return DockerRuntime(image, **{"gpus": "none", "network": "none", "grace_s": 2, **kw})


def run_to_end(handle, limit_s: float = 120):
    deadline = time.monotonic() + limit_s
    while handle.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return handle.close()


def study_containers(client, **labels):
    wanted = [f"autosynthda.study={STUDY}", *(f"autosynthda.{k}={v}" for k, v in labels.items())]
    return client.containers.list(all=True, filters={"label": wanted})


def probe_job(tmp_path, name: str) -> tuple[Job, os.PathLike]:
    data, results = tmp_path / "data", tmp_path / "results"
    data.mkdir()
    (data / "clip.txt").write_text("real data")
    results.mkdir()
    job = Job(name, ("python3", "-c", PROBE), (Mount(data, "/data"), Mount(results, "/results", read_only=False)),
              log_path=tmp_path / "probe.log", labels={"autosynthda.study": STUDY, "autosynthda.trial": "probe"})
    return job, results


def test_mounts_user_and_removal(standin_image, docker_client, tmp_path):
    job, results = probe_job(tmp_path, f"autosynthda-{STUDY}-probe")
    rt = runtime(standin_image)
    rt.preflight()
    ended = run_to_end(rt.start(job))
    log = job.log_path.read_text()
    assert ended.code == 0, log
    assert f"uid {os.getuid()} gid {os.getgid()}" in log
    assert "data read-only errno 30" in log and "data sees ['clip.txt']" in log  # EROFS: the bind is read-only
    assert not (tmp_path / "data" / "x").exists()
    assert (results / "ok").read_text() == "written" and owned_by_us(results / "ok")
    assert study_containers(docker_client) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")
def test_files_belong_to_the_uid_the_container_runs_as(standin_image, tmp_path):
    """Not only root's default: as 4321:4322 the results come back as 4321:4322."""
    job, results = probe_job(tmp_path, f"autosynthda-{STUDY}-probe-uid")
    os.chown(results, 4321, 4322)
    ended = run_to_end(runtime(standin_image, user="4321:4322").start(job))
    assert ended.code == 0, job.log_path.read_text()
    assert "uid 4321 gid 4322" in job.log_path.read_text()
    st = (results / "ok").stat()
    assert (st.st_uid, st.st_gid) == (4321, 4322)


def test_the_study_label_finds_a_leftover_and_a_restart_replaces_it(standin_image, docker_client, tmp_path):
    """A driver killed mid-run leaves its container; `docker ps -a --filter label=autosynthda.study=...` finds it,
    and the retry's start removes it (the name would otherwise block the new container)."""
    data = tmp_path / "data"
    data.mkdir()
    job = Job(f"autosynthda-{STUDY}-00001-train", ("sleep", "600"), (Mount(data, "/data"),),
              log_path=tmp_path / "sleep.log", labels={"autosynthda.study": STUDY, "autosynthda.trial": "00001"})
    rt = runtime(standin_image)
    abandoned = rt.start(job)  # never closed: as if the driver had died
    (left,) = study_containers(docker_client, trial="00001")
    assert left.name == job.name and left.status in ("created", "running")
    retry = rt.start(job)
    (now,) = study_containers(docker_client, trial="00001")
    assert now.id != left.id
    retry.close()
    abandoned.pump.join(timeout=10)
    assert study_containers(docker_client) == []


def scorer(image: str, tmp_path, env: dict[str, str] | None = None, **settings) -> TaoScorer:
    cfg = TaoConfig(**{"runtime": "docker", "image": image, "epochs": 2, "batch_size": 2, "timeout_s": 300,
                       "stop_grace_s": 2, **settings})
    return TaoScorer(cfg, STUDY, runtime(image, env=env or {}), poll_max_s=0.2)


@pytest.fixture
def trial(tmp_path):
    return make_trial(tmp_path / "00007", {"fall": 3, "walk": 6}, {"fall": 2, "walk": 2}, {"fall": 3, "walk": 3})


def test_a_trial_trains_and_evaluates_in_real_containers(standin_image, docker_client, trial):
    result = scorer(standin_image, trial.root).score(trial, seed=0)
    assert 0 <= result.accuracy <= 1 and [e["epoch"] for e in result.epochs] == [0, 1]
    assert result.info["runtime"] == "docker" and result.info["image"] == standin_image
    tao = trial.root / "tao"
    for task in ("train", "evaluate"):
        status = tao / "results" / task / "status.json"
        assert status.is_file() and owned_by_us(status)
        assert "Execution status: PASS" in (tao / f"{task}.log").read_text()
    assert not list(tao.rglob("*.pth"))  # checkpoints written by the container, removed by the driver
    assert study_containers(docker_client) == []


def test_a_failing_run_fails_the_trial_and_is_removed(standin_image, docker_client, trial):
    with pytest.raises(TaoError) as failed:
        scorer(standin_image, trial.root, env={"TAO_STANDIN_FAIL": "exit1"}).score(trial, seed=0)
    assert not isinstance(failed.value, TaoTimeout)
    assert "train" in str(failed.value)
    assert "Execution status: FAIL" in (trial.root / "tao" / "train.log").read_text()
    assert study_containers(docker_client) == []


def test_a_hung_run_times_out_and_is_removed(standin_image, docker_client, trial):
    with pytest.raises(TaoTimeout, match="still running after 3 s"):
        scorer(standin_image, trial.root, env={"TAO_STANDIN_FAIL": "hang"}, timeout_s=3).score(trial, seed=0)
    assert study_containers(docker_client) == []


def test_pruning_stops_the_container(standin_image, docker_client, trial):
    seen = []

    def report(epoch, value):
        seen.append(epoch)
        return True  # prune at the first val_acc

    slow = {"TAO_STANDIN_EPOCH_S": "2"}
    with pytest.raises(ScoringPruned):
        scorer(standin_image, trial.root, env=slow, epochs=20).score(trial, seed=0, report=report)
    assert seen == [0]
    assert study_containers(docker_client) == []
    assert not (trial.root / "tao" / "results" / "evaluate").exists()


def test_ctrl_c_during_a_run_removes_the_container(standin_image, docker_client, trial):
    """SIGINT arrives (here from a timer) while the driver polls a running container: KeyboardInterrupt goes up
    and the container is stopped and removed on the way."""
    seen = []

    def interrupt(signum, frame):
        seen.append(study_containers(docker_client, task="train"))
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 3.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            scorer(standin_image, trial.root, env={"TAO_STANDIN_FAIL": "hang"}).score(trial, seed=0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert len(seen) == 1 and [c.status for c in seen[0]] == ["running"]  # it was interrupted mid-run
    assert study_containers(docker_client) == []
