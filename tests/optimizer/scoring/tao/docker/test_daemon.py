"""testing/docker/daemon.py itself: a daemon that answers is reused, not restarted; a throwaway one goes down with a
test run killed with SIGKILL (no dockerd left behind); missing pieces give a reason, not a traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.docker import daemon as dd

RUNNER = """
import sys, time
from testing.docker.daemon import docker_daemon
with docker_daemon(reuse=False) as daemon:
    print(daemon.pid, daemon.root, flush=True)
    time.sleep(600)
"""


def test_a_daemon_that_answers_is_reused(docker_daemon, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", docker_daemon.host)
    with dd.docker_daemon() as again:
        assert again.host == docker_daemon.host and not again.started_here


def test_a_killed_test_run_takes_its_dockerd_down(docker_daemon):
    if not docker_daemon.started_here:
        pytest.skip("the machine's own daemon is in use here: this checks the throwaway one")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")])}
    runner = subprocess.Popen([sys.executable, "-c", RUNNER], stdout=subprocess.PIPE, text=True, env=env)
    pid, root = None, None
    try:
        pid_text, root_text = runner.stdout.readline().split()
        pid, root = int(pid_text), Path(root_text)
        assert Path(f"/proc/{pid}").exists()
        runner.kill()
        runner.wait()
        deadline = time.monotonic() + 60
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:  # a bound, not a speed check
            time.sleep(0.1)
        assert not Path(f"/proc/{pid}").exists(), "dockerd outlived the test run that started it"
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
        if pid is not None and Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)


def test_no_dockerd_is_a_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    with pytest.raises(dd.DockerUnavailable, match=r"dockerd not found: apt-get install docker.io .*no daemon answers"):
        with dd.docker_daemon():
            pass
