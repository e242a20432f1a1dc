"""A Docker daemon for the tests: reuse one that answers, else start a throwaway Debian `dockerd` without network.

The throwaway daemon runs as root with its own data root, exec root, pid file, config file and unix socket in a temp
dir, `--bridge=none --iptables=false --ip6tables=false`: it creates no bridge and touches no firewall rule, and the
containers the tests start all use network mode none. It is stopped (SIGTERM to its pid, SIGKILL after a grace
period) and its folder removed on exit. Never a daemon for real work: that is the machine's own dockerd.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generation.errors import AutoSynthDaError
from optimizer.scoring.tao.orphans import die_with_driver

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
FLAGS = ("--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
NO_NETWORK_PROXY = "http://127.0.0.1:9"  # the discard port, closed: connection refused
START_S = 60.0  # a cold dockerd (containerd, overlay2 probe) answers in 1-3 s; a loaded CI box needs more
STOP_S = 30.0


class DockerUnavailable(AutoSynthDaError, RuntimeError):
    """No Docker daemon answers and none can be started here; the message says why."""


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(str(text).split())[:limit]


def ping(host: str, timeout: float = 5.0) -> str | None:
    """None when a daemon answers at `host` (a docker URL), else the reason it does not."""
    try:
        import docker
    except ImportError:
        return "the Docker SDK is not installed (pip install docker)"
    try:
        client = docker.DockerClient(base_url=host, timeout=timeout)
    except Exception as exc:  # bad URL, socket missing: the SDK raises DockerException or plain errors
        return _one_line(exc)
    try:
        client.ping()
        return None
    except Exception as exc:
        return _one_line(exc)
    finally:
        client.close()


@dataclass
class DockerDaemon:
    """A daemon that answers at `host`. pid and root are set only when this process started it (and will stop it)."""

    host: str
    pid: int | None = None
    root: Path | None = None

    @property
    def started_here(self) -> bool:
        return self.pid is not None

    @property
    def log(self) -> Path | None:
        return None if self.root is None else self.root / "dockerd.log"

    def client(self, timeout: float = 120.0) -> Any:
        import docker

        return docker.DockerClient(base_url=self.host, timeout=timeout)

    def environ(self) -> dict[str, str]:
        """What a subprocess (the project's CLI, the docker CLI) needs to talk to this daemon."""
        return {"DOCKER_HOST": self.host}

    def log_tail(self, lines: int = 15) -> str:
        if self.log is None:
            return "(a daemon this process did not start: no log here)"
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no dockerd log)"


def _start(root: Path, data_root: Path) -> tuple[subprocess.Popen, str]:
    dockerd = shutil.which("dockerd") or shutil.which("dockerd", path="/usr/sbin:/sbin")
    if dockerd is None:
        raise DockerUnavailable("dockerd not found: apt-get install docker.io (or set DOCKER_HOST to a running daemon)")
    if os.geteuid() != 0:
        raise DockerUnavailable("no Docker daemon answers and starting dockerd needs root (not root here)")
    config = root / "daemon.json"
    config.write_text(json.dumps({}))  # not /etc/docker/daemon.json: the machine's settings could add a bridge
    host = f"unix://{root}/docker.sock"
    argv = [
        dockerd, *FLAGS, "--config-file", str(config), "--data-root", str(data_root),
        "--exec-root", str(root / "exec"), "--pidfile", str(root / "dockerd.pid"), "--host", host,
    ]
    # Pulls go to a proxy on a loopback port where nothing listens: a test that asked for a missing image fails at
    # once instead of resolving and contacting a registry (the tests' images are all made offline).
    env = {**{k: v for k, v in os.environ.items() if k.upper() not in PROXY_VARS}, **dict.fromkeys(PROXY_VARS[:2],
           NO_NETWORK_PROXY)}
    with (root / "dockerd.log").open("wb") as log:
        # Its own session: a Ctrl-C meant for pytest must not kill the daemon before the fixture stops it cleanly.
        # SIGTERM when the test run dies without stopping it (SIGKILL, a crash): dockerd then shuts down cleanly.
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, preexec_fn=die_with_driver(signal.SIGTERM))
    return proc, host


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # dockerd stops its containers and its containerd, then exits
    try:
        proc.wait(STOP_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # dockerd and the containerd it started (same session)
        proc.wait()


def _unmount_under(root: Path) -> None:
    """A dockerd killed hard can leave overlay mounts under its data root; rmtree would fail on them."""
    try:
        mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    except OSError:
        return
    for target in sorted((m for m in mounts if m.startswith(str(root) + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", target], capture_output=True, check=False)


@contextlib.contextmanager
def _data_root(keep: Path | None, root: Path) -> Iterator[Path]:
    """`keep` when given and no other daemon of ours uses it (an exclusive lock, held while the daemon runs), else a
    folder in the throwaway root. A kept data root keeps the imported images between sessions, and spares the
    teardown deleting them (tens of thousands of small files: about 20 s on 2 busy cores)."""
    if keep is None:
        yield root / "data"
        return
    keep.mkdir(parents=True, exist_ok=True)
    with (keep.parent / f".{keep.name}.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another session's daemon runs on it: two daemons on one data root corrupt it
            yield root / "data"
            return
        try:
            yield keep
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def docker_daemon(*, reuse: bool = True, data_root: Path | None = None,
                  start_s: float = START_S) -> Iterator[DockerDaemon]:
    """Yield a daemon that answers: the one at $DOCKER_HOST (or the default socket) when `reuse` and it answers,
    else a throwaway dockerd started here and stopped on exit (its data in `data_root` when given, see _data_root).
    DockerUnavailable, with the reason, when neither."""
    reasons: list[str] = []
    if reuse:
        host = os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
        reason = ping(host)
        if reason is None:
            yield DockerDaemon(host)
            return
        reasons.append(f"{host}: {reason}")
    try:
        import docker  # noqa: F401  (checked before a daemon is started that nothing here could talk to)
    except ImportError:
        raise DockerUnavailable("the Docker SDK is not installed (pip install docker)") from None
    # A short path: a unix socket path must fit in 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="asd-dockerd-", dir="/tmp" if Path("/tmp").is_dir() else None))
    proc = None
    try:
        with _data_root(data_root, root) as data:
            try:
                try:
                    proc, host = _start(root, data)
                    daemon = DockerDaemon(host, proc.pid, root)
                    _wait(proc, daemon, start_s)
                except DockerUnavailable as exc:
                    if reasons:
                        raise DockerUnavailable(f"{exc} (and no daemon answers at {reasons[0]})") from None
                    raise
                yield daemon
            finally:
                if proc is not None:
                    _stop(proc)
                _unmount_under(root)
                if data != root / "data":
                    _unmount_under(data)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _wait(proc: subprocess.Popen, daemon: DockerDaemon, start_s: float) -> None:
    deadline = time.monotonic() + start_s
    while (reason := ping(daemon.host, timeout=2)) is not None:
        if proc.poll() is not None:
            raise DockerUnavailable(f"dockerd exited with rc {proc.returncode} before answering: "
                                    f"{_one_line(daemon.log_tail(3), 400)}")
        if time.monotonic() > deadline:
            raise DockerUnavailable(f"dockerd started but did not answer within {start_s:g} s ({reason})")
        time.sleep(0.2)
