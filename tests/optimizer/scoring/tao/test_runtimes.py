"""The runtimes without Docker: the Docker request checked through a fake client that records what it is sent,
the container removed on every exit path, preflight errors, and Apptainer's argv."""

from __future__ import annotations

import os
import sys

import docker.errors
import pytest

from optimizer.scoring import ScoringPruned
from optimizer.scoring.tao import DEFAULT_IMAGE, TaoConfig, TaoNoStatus, TaoOutOfMemory, TaoScorer, TaoTimeout
from optimizer.scoring.tao.docker_runtime import DockerRuntime, container_name, run_kwargs
from optimizer.scoring.tao.errors import TaoUnavailable
from optimizer.scoring.tao.runtimes import ApptainerRuntime, Job, LocalRuntime, Mount, _gpu_env

SECRET = "tao-key-77e1"


class FakeContainer:
    """Runs for `polls` status checks, then exits with `code`; records stop/remove."""

    def __init__(self, kwargs, *, polls, code, oom, lines):
        self.kwargs, self.polls, self.code, self.oom, self.lines = kwargs, polls, code, oom, lines
        self.status, self.calls = "created", []

    def start(self):
        self.calls.append("start")
        self.status = "running"

    def logs(self, stream, follow):
        assert stream and follow
        yield from self.lines

    def reload(self):
        if self.status == "running":
            self.polls -= 1
            if self.polls < 0:
                self.status = "exited"

    @property
    def attrs(self):
        return {"State": {"Status": self.status, "ExitCode": self.code, "OOMKilled": self.oom}}

    def stop(self, timeout):
        self.calls.append(("stop", timeout))
        self.status, self.code = "exited", 143

    def remove(self, force):
        self.calls.append(("remove", force))


class FakeClient:
    def __init__(self, *, polls=2, code=0, oom=False, lines=(b"hello ", b"world\n"), ping_error=None,
                 image_error=None):
        self.created: list[FakeContainer] = []
        self.settings = dict(polls=polls, code=code, oom=oom, lines=lines)
        self.ping_error, self.image_error = ping_error, image_error
        self.containers, self.images = self, self

    def ping(self):
        if self.ping_error:
            raise self.ping_error
        return True

    def get(self, name):  # images.get and containers.get
        if name == DEFAULT_IMAGE:
            if self.image_error:
                raise self.image_error
            return object()
        raise docker.errors.NotFound("no such container")

    def create(self, **kwargs):
        self.created.append(FakeContainer(kwargs, **self.settings))
        return self.created[-1]


def docker_scorer(client, **settings) -> TaoScorer:
    cfg = TaoConfig(runtime="docker", epochs=3, batch_size=2, stop_grace_s=1, **settings)
    runtime = DockerRuntime(cfg.image, cfg.gpus, cfg.shm_size, cfg.stop_grace_s, client_factory=lambda: client)
    return TaoScorer(cfg, "unit", runtime, poll_max_s=0.05)


def test_the_docker_request(trial, tmp_path, monkeypatch):
    model = tmp_path / "resnet18_3d_rgb_hmdb5_32.tlt"
    model.write_bytes(b"weights")
    monkeypatch.setenv("TAO_TEST_KEY", SECRET)
    client = FakeClient()
    scorer = docker_scorer(client, pretrained_model_path=model, pretrained_num_classes=5,
                           encryption_key_env="TAO_TEST_KEY")
    scorer.preflight()
    with pytest.raises(TaoNoStatus):  # the fake runs nothing, so there is no status.json to read
        scorer.score(trial, seed=0)
    (container,) = client.created
    sent = container.kwargs
    assert sent["image"] == "nvcr.io/nvidia/tao/tao-toolkit:6.26.3-pyt" and sent["detach"] and sent["init"]
    assert sent["command"] == ["action_recognition", "train", "-e", "/specs/train.yaml", "results_dir=/results"]
    assert sent["name"] == "autosynthda-unit-00007-train"
    assert sent["labels"] == {"autosynthda.study": "unit", "autosynthda.trial": "00007", "autosynthda.task": "train"}
    assert sent["user"] == f"{os.getuid()}:{os.getgid()}" and sent["working_dir"] == "/results"
    mounts = {m["Target"]: (m["Source"], m["Type"], m["ReadOnly"]) for m in sent["mounts"]}
    assert mounts.pop("/results") == (str(trial.root / "tao/results"), "bind", False)  # the only read-write one
    for split in ("train", "val", "test"):
        assert mounts.pop(f"/data/{split}") == (str(trial.root / split), "bind", True)
    assert mounts.pop("/pretrained/resnet18_3d_rgb_hmdb5_32.tlt") == (str(model), "bind", True)
    specs_source, _, specs_read_only = mounts.pop("/specs")
    assert specs_read_only and not os.path.exists(specs_source)  # the spec with the key is gone after the run
    assert mounts == {}
    (gpus,) = sent["device_requests"]
    assert gpus["Count"] == -1 and gpus["Capabilities"] == [["gpu"]]
    assert sent["shm_size"] == "16G"
    assert [dict(u) for u in sent["ulimits"]] == [{"Name": "memlock", "Soft": -1, "Hard": -1},
                                                  {"Name": "stack", "Soft": 67108864, "Hard": 67108864}]
    assert sent["environment"] == {"HOME": "/tmp"}
    assert SECRET not in repr(sent)  # the key travels in the read-only spec file, not in env or argv
    assert container.calls == ["start", ("remove", True)]
    assert (trial.root / "tao/train.log").read_text() == "hello world\n"


def test_gpu_ids_a_worker_owns():
    job = Job("n", ("action_recognition", "train"), (), log_path=None)
    (request,) = run_kwargs(job, image="i", gpus=[2, 3], shm_size="8G", user="1:1")["device_requests"]
    assert request["DeviceIDs"] == ["2", "3"] and request["Capabilities"] == [["gpu"]] and request["Count"] == 0


def test_timeout_stops_and_removes_the_container(trial):
    client = FakeClient(polls=10**9)  # never exits by itself
    with pytest.raises(TaoTimeout, match=r"stopped and removed") as info:
        docker_scorer(client, timeout_s=0.3).score(trial, seed=0)
    assert client.created[0].calls == ["start", ("stop", 1), ("remove", True)]
    assert "hello world" in info.value.log_tail


def test_oom_killed_container_is_named_and_removed(trial):
    client = FakeClient(code=137, oom=True)
    with pytest.raises(TaoOutOfMemory, match=r"Docker's OOM killer"):
        docker_scorer(client).score(trial, seed=0)
    assert client.created[0].calls[-1] == ("remove", True)


def scorer_with_one_epoch_logged(client, trial) -> TaoScorer:
    """A docker scorer whose (fake) training has logged epoch 0's val_acc as soon as it starts."""
    scorer = docker_scorer(client)
    start = scorer.runtime.start

    def start_and_log_an_epoch(job):
        handle = start(job)
        status = trial.root / "tao/results/train/status.json"
        status.parent.mkdir(parents=True, exist_ok=True)
        status.write_text('{"status": "RUNNING", "message": "Eval metrics generated.", "kpi": {"val_acc": 0.5}}\n')
        return handle

    scorer.runtime.start = start_and_log_an_epoch
    return scorer


def test_pruned_run_stops_and_removes_the_container(trial):
    client = FakeClient(polls=10**9)
    with pytest.raises(ScoringPruned):
        scorer_with_one_epoch_logged(client, trial).score(trial, seed=0, report=lambda epoch, value: True)
    assert client.created[0].calls == ["start", ("stop", 1), ("remove", True)]


def test_container_removed_when_the_driver_fails_mid_run(trial):
    client = FakeClient(polls=10**9)

    def report(epoch, value):
        raise KeyboardInterrupt  # Ctrl-C while a trial trains

    with pytest.raises(KeyboardInterrupt):
        scorer_with_one_epoch_logged(client, trial).score(trial, seed=0, report=report)
    assert client.created[0].calls == ["start", ("stop", 1), ("remove", True)]


def test_preflight_errors_are_one_line_before_any_trial():
    refused = FakeClient(ping_error=docker.errors.DockerException("Error while fetching server API version"))
    with pytest.raises(TaoUnavailable, match=r"^scorer\.tao\.runtime docker: no Docker daemon answers \(Error while "
                                             r"fetching server API version\); start it, or use --runtime"):
        DockerRuntime(DEFAULT_IMAGE, client_factory=lambda: refused).preflight()
    missing = FakeClient(image_error=docker.errors.ImageNotFound("no such image"))
    with pytest.raises(TaoUnavailable, match=r"^scorer\.tao\.image: nvcr\.io/nvidia/tao/tao-toolkit:6\.26\.3-pyt is not "
                                             r"on this machine: docker login nvcr\.io, then docker pull "):
        DockerRuntime(DEFAULT_IMAGE, client_factory=lambda: missing).preflight()


def daemon_answers() -> bool:
    try:
        docker.from_env().ping()
    except docker.errors.DockerException:
        return False
    return True


def test_this_machine_has_no_daemon_and_says_so():
    if daemon_answers():
        pytest.skip("a Docker daemon answers here: the missing-daemon message is covered by the fake above")
    with pytest.raises(TaoUnavailable, match=r"no Docker daemon answers"):
        DockerRuntime(DEFAULT_IMAGE).preflight()


def test_container_names():
    assert container_name("fall_tao", "00012", "evaluate") == "autosynthda-fall_tao-00012-evaluate"
    assert container_name("a b/c", "1", "train") == "autosynthda-a-b-c-1-train"


def test_apptainer_argv(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    job = Job(
        "autosynthda-s-00001-train", ("action_recognition", "train", "-e", "/specs/train.yaml", "results_dir=/results"),
        (Mount(tmp_path / "train", "/data/train"), Mount(tmp_path / "results", "/results", read_only=False)),
        log_path=tmp_path / "train.log", env={"TAO_X": "1"}, workdir="/results",
    )
    argv = ApptainerRuntime(DEFAULT_IMAGE, gpus=[1], executable="no-such-apptainer").argv(job)
    assert argv == [
        "apptainer", "exec", "--nv", "--cleanenv", "--writable-tmpfs", "--pwd", "/results",
        "--bind", f"{tmp_path}/train:/data/train:ro", "--bind", f"{tmp_path}/results:/results:rw",
        "--env", "CUDA_VISIBLE_DEVICES=1", "--env", "TAO_X=1", "--env", "WANDB_MODE=disabled",
        "docker://nvcr.io/nvidia/tao/tao-toolkit:6.26.3-pyt",
        "action_recognition", "train", "-e", "/specs/train.yaml", "results_dir=/results",
    ]
    sif = tmp_path / "tao.sif"
    assert ApptainerRuntime(str(sif)).image_uri() == str(sif)


@pytest.mark.parametrize(
    ("inherited", "gpus", "expected"),
    [(None, [0], "0"), ("3,5", [0], "3"), ("3,5", [1, 0], "5,3"), ("", [2], "2"), ("3", [1], "1")],
)
def test_gpu_ids_are_indices_into_the_gpus_slurm_gave_us(tmp_path, monkeypatch, inherited, gpus, expected):
    """Under SLURM (CUDA_VISIBLE_DEVICES=3,5) `--gpu 0` is physical GPU 3: the id is mapped, not substituted."""
    if inherited is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", inherited)
    job = Job("j", ("action_recognition", "train"), (), log_path=tmp_path / "log", env={}, workdir="/results")
    argv = ApptainerRuntime(DEFAULT_IMAGE, gpus=gpus, executable="no-such-apptainer").argv(job)
    assert argv[argv.index("--env") + 1] == f"CUDA_VISIBLE_DEVICES={expected}"


def test_apptainer_preflight(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TaoUnavailable, match=r"^scorer\.tao\.runtime apptainer: neither `apptainer` nor `singularity`"):
        ApptainerRuntime(DEFAULT_IMAGE).preflight()
    fake = tmp_path / "apptainer"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    with pytest.raises(TaoUnavailable, match=r"scorer\.tao\.image: .*tao\.sif does not exist"):
        ApptainerRuntime(str(tmp_path / "tao.sif")).preflight()
    ApptainerRuntime(DEFAULT_IMAGE).preflight()  # a docker:// image is pulled by apptainer itself


def test_local_preflight_checks_the_python_tao_runs_its_tasks_with(tmp_path, monkeypatch):
    """TAO's entrypoint runs `python <script>` from PATH: one without nvidia_tao_pytorch is refused before trial 0."""
    exe = tmp_path / "action_recognition"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TaoUnavailable, match=r"^scorer\.tao\.runtime local: no `python` on PATH"):
        LocalRuntime().preflight()
    python = tmp_path / "python"
    python.symlink_to(sys.executable)  # this interpreter: no nvidia_tao_pytorch
    monkeypatch.delenv("PYTHONPATH", raising=False)
    with pytest.raises(TaoUnavailable) as info:
        LocalRuntime().preflight()
    message = str(info.value)
    assert message.startswith(f"scorer.tao.runtime local: the `python` on PATH ({python}) cannot import "
                              f"nvidia_tao_pytorch (ModuleNotFoundError: No module named 'nvidia_tao_pytorch')")
    assert "\n" not in message
    site = tmp_path / "site" / "nvidia_tao_pytorch"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(site.parent))
    LocalRuntime().preflight()


def test_gpus_none_hides_every_gpu_from_a_local_run(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert _gpu_env("none") == {"CUDA_VISIBLE_DEVICES": ""}
    assert TaoConfig(gpus="none").gpus == "none"
