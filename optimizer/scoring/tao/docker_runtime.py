"""The Docker runtime: TAO's image run through the Docker SDK, the way the TAO tutorials run it
(`docker run --gpus all --shm-size 16G --ulimit memlock=-1 --ulimit stack=67108864 -v ...`), plus:

- data mounted read-only, only the trial's fresh results dir read-write, the specs read-only;
- the container runs as the caller's uid:gid, so results are the caller's files, not root's;
- named after study, trial and task and labelled, so `docker ps` says whose it is;
- created then started (never `run`, which pulls a missing image silently) and removed on every exit path.

run_kwargs() is the whole request, a pure function, so tests check it without a daemon.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from optimizer.scoring.tao.errors import TaoError, TaoUnavailable
from optimizer.scoring.tao.runtimes import Job, LogPump, Mount, RunExit

NO_SDK = "scorer.tao.runtime docker: the Docker SDK is not installed (pip install docker)"
STACK_BYTES = 67108864  # the tutorials' --ulimit stack=67108864
_NAME_OK = re.compile(r"[^a-zA-Z0-9_.-]")


def container_name(study: str, trial: str, task: str) -> str:
    """autosynthda-<study>-<trial>-<task>, in the characters Docker allows."""
    return _NAME_OK.sub("-", f"autosynthda-{study}-{trial}-{task}")


def current_user() -> str:
    return f"{os.getuid()}:{os.getgid()}"


def run_kwargs(job: Job, *, image: str, gpus: str | list[int], shm_size: str, user: str,
               network: str | None = None, env: dict[str, str] | None = None,
               extra_mounts: tuple[Mount, ...] = ()) -> dict[str, Any]:
    """Everything containers.create() gets for `job`. network None keeps Docker's default network; "none" gives the
    container only a loopback interface."""
    from docker.types import DeviceRequest, Ulimit
    from docker.types import Mount as DockerMount

    if gpus == "all":
        devices = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    elif isinstance(gpus, str) or not gpus:  # "none": a CPU run, no GPU requested (a daemon without NVIDIA's runtime)
        devices = []
    else:
        devices = [DeviceRequest(device_ids=[str(i) for i in gpus], capabilities=[["gpu"]])]
    extra = {} if network is None else {"network_mode": network}
    limits = [Ulimit(name="stack", soft=STACK_BYTES, hard=STACK_BYTES)]
    if devices:  # unlimited locked memory is for CUDA's pinned buffers; raising it needs CAP_SYS_RESOURCE, which a
        # CPU-only host (a VM, a rootless daemon) may not grant the daemon: a CPU run asks for nothing it won't use
        limits.insert(0, Ulimit(name="memlock", soft=-1, hard=-1))
    return {
        "image": image,
        "command": list(job.argv),
        "name": job.name,
        "detach": True,
        "user": user,
        "init": True,  # docker-init as PID 1: stop() reaches TAO and its workers, zombies are reaped
        "working_dir": job.workdir,
        # A uid without a passwd entry gets HOME=/, which it cannot write: caches (torch, matplotlib) go to /tmp.
        "environment": {"HOME": "/tmp", **(env or {}), **job.env},
        "labels": dict(job.labels),
        "mounts": [
            DockerMount(target=m.container, source=str(m.host), type="bind", read_only=m.read_only)
            for m in (*job.mounts, *extra_mounts)
        ],
        "device_requests": devices,
        "shm_size": shm_size,
        "ulimits": limits,
        **extra,
    }


def _docker_errors():
    import docker.errors

    return docker.errors


class DockerHandle:
    def __init__(self, container: Any, job: Job, grace_s: float) -> None:
        self.container = container
        self.grace_s = grace_s
        self.pump = LogPump(container.logs(stream=True, follow=True), job.log_path, job.redact)
        self.pump.start()

    def _state(self) -> dict[str, Any]:
        self.container.reload()
        return self.container.attrs.get("State", {})

    def poll(self) -> int | None:
        state = self._state()
        if state.get("Status") in ("exited", "dead"):
            return int(state.get("ExitCode", -1))
        return None

    def stop(self) -> None:
        try:
            self.container.stop(timeout=int(self.grace_s))
        except _docker_errors().DockerException:
            pass  # already gone: nothing to stop

    def close(self) -> RunExit:
        errors = _docker_errors()
        try:
            state = self._state()
            if state.get("Status") not in ("exited", "dead"):
                self.stop()
                state = self._state()
            return RunExit(int(state.get("ExitCode", -1)), bool(state.get("OOMKilled", False)))
        except errors.DockerException:
            return RunExit(-1)
        finally:
            self.pump.join(timeout=10)  # an exited container's log stream ends by itself: drain it first
            try:
                self.container.remove(force=True)
            except errors.NotFound:
                pass
            self.pump.join(timeout=10)


@dataclass
class DockerRuntime:
    image: str
    gpus: str | list[int] = "all"
    shm_size: str = "16G"
    grace_s: float = 10.0
    user: str = field(default_factory=current_user)
    network: str | None = None  # Docker's default; "none" for a daemon without a bridge (the tests' daemon)
    env: dict[str, str] = field(default_factory=dict)  # extra variables for every container (never secrets)
    # Mounted into every container (read-only unless marked): e.g. a TAO install kept outside the image.
    extra_mounts: tuple[Mount, ...] = ()
    client_factory: Any = None  # tests pass a fake; default docker.from_env
    name: str = "docker"
    _client: Any = field(default=None, repr=False)

    def client(self) -> Any:
        if self._client is None:
            if self.client_factory is not None:
                self._client = self.client_factory()
            else:
                try:
                    import docker
                except ImportError:
                    raise TaoUnavailable(NO_SDK) from None
                self._client = docker.from_env()
        return self._client

    def preflight(self) -> None:
        try:
            errors = _docker_errors()
        except ImportError:
            raise TaoUnavailable(NO_SDK) from None
        try:
            client = self.client()
            client.ping()
        except errors.DockerException as exc:
            reason = " ".join(str(exc).split())[:200]
            raise TaoUnavailable(
                f"scorer.tao.runtime docker: no Docker daemon answers ({reason}); start it, or use "
                f"--runtime apptainer|local"
            ) from None
        try:
            client.images.get(self.image)
        except errors.ImageNotFound:
            raise TaoUnavailable(
                f"scorer.tao.image: {self.image} is not on this machine: docker login nvcr.io, then "
                f"docker pull {self.image}"
            ) from None
        except errors.DockerException as exc:
            raise TaoUnavailable(f"scorer.tao.image: {self.image}: {' '.join(str(exc).split())[:200]}") from None

    def path(self, mount: Mount) -> str:
        return mount.container

    def start(self, job: Job) -> DockerHandle:
        errors = _docker_errors()
        client = self.client()
        kwargs = run_kwargs(job, image=self.image, gpus=self.gpus, shm_size=self.shm_size, user=self.user,
                            network=self.network, env=self.env, extra_mounts=self.extra_mounts)
        try:
            stale = client.containers.get(job.name)
        except errors.NotFound:
            stale = None
        if stale is not None:  # left by a driver that was killed mid-trial: it would block the name
            stale.remove(force=True)
        try:
            container = client.containers.create(**kwargs)
        except errors.DockerException as exc:
            raise TaoError(f"{job.name}: docker create failed: {' '.join(str(exc).split())[:300]}") from None
        try:
            container.start()
        except errors.DockerException as exc:
            container.remove(force=True)
            raise TaoError(f"{job.name}: docker start failed: {' '.join(str(exc).split())[:300]}") from None
        return DockerHandle(container, job, self.grace_s)
