"""`autosynthda dashboard`: the MLflow UI of one study, listening on 127.0.0.1 only; clear errors without a store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from testing.sockets import free_port, listening_addresses


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from /proc/net/tcp")
def test_dashboard_serves_the_study_on_loopback_only(tmp_path):
    store = tmp_path / "studies" / "dash" / "mlflow.db"
    store.parent.mkdir(parents=True)
    MlflowClient(f"sqlite:///{store}").create_experiment("dash")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "optimizer.cli", "dashboard", "dash", "--port", str(port),
                               "--studies-dir", str(tmp_path / "studies")], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                    assert reply.read() == b"OK"
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the MLflow UI did not answer in 180 s"
                time.sleep(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/experiments/get-by-name"
                                    "?experiment_name=dash", timeout=10) as reply:
            assert json.loads(reply.read())["experiment"]["name"] == "dash"
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_dashboard_without_a_store_is_one_error(tmp_path, autosynthda):
    result = autosynthda("dashboard", "nosuch", "--studies-dir", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nosuch' / 'mlflow.db'}: tracking store: not found (run the study first)"


def test_optuna_dashboard_without_a_study_is_one_error(tmp_path, autosynthda):
    result = autosynthda("optuna-dashboard", "nosuch", "--studies-dir", tmp_path)
    assert result.returncode == 2
    assert "no study here yet" in result.stderr and len(result.stderr.strip().splitlines()) == 1
