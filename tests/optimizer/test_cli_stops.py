"""How commands stop and what they tell a user to run next (issue 16, item 8): Ctrl-C during `optimize`, SIGTERM to a
dashboard, and the worker command `setup` prints."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from testing.sockets import free_port, listening_addresses

STUDY = {
    "name": "stops",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 16, "real_views": "front", "synthetic_views": "front", "format": "jpg"},
    "search": {"trials": 3, "seed": 0, "sampler": "random", "ratio": [0.0, 1.0]},
    "scorer": {"kind": "standin", "standin_seconds": 120.0},  # the trial is "training" when Ctrl-C comes
    "tracking": {"enabled": False},
}


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "optimizer.cli", *map(str, args)]


def write_config(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "stops.yaml"
    path.write_text(yaml.safe_dump({**STUDY, **changes}))
    return path


def _terminal_sigint() -> None:
    """SIGINT as a terminal's foreground command has it. A test run started in the background (`cmd &` in a script,
    nohup) inherits SIGINT ignored, Python then installs no KeyboardInterrupt handler, and the Ctrl-C is lost."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_optimize_says_interrupted_prints_the_table_and_exits_130(tmp_path):
    config, studies = write_config(tmp_path), tmp_path / "studies"
    run = subprocess.Popen(cli("optimize", config, "--studies-dir", studies, "--device", "cpu"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONFAULTHANDLER": "1"}, preexec_fn=_terminal_sigint)
    manifest = studies / "stops" / "trials" / "00000" / "manifest.json"
    deadline = time.monotonic() + 240
    while not manifest.is_file():  # the baseline's dataset is complete: it is scoring (sleeping) now
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.2)
    time.sleep(0.5)
    run.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
    try:
        out, err = run.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # say where it was, not just that it hung
        run.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack to stderr
        out, err = run.communicate(timeout=30)
        pytest.fail(f"optimize still ran 60 s after SIGINT; stdout:\n{out[-2000:]}\nstderr:\n{err[-8000:]}")
    assert run.returncode == 130, err
    assert err.strip().splitlines() == ["error: stops: interrupted; finished trials are kept, the same command resumes"]
    assert "Traceback" not in out + err
    assert "interrupted" in out and "fail" in out.lower()  # the trials table, with the interrupted trial
    study = optuna.load_study(study_name="stops", storage=f"sqlite:///{studies / 'stops' / 'study.db'}")
    trial = study.trials[0]
    assert trial.state == TrialState.FAIL and trial.user_attrs["fail_reason"] == "interrupted"


def test_setup_prints_a_worker_command_with_every_option_that_names_the_study(tmp_path):
    config, studies = write_config(tmp_path, scorer={"kind": "standin", "standin_seconds": 0.0}), tmp_path / "st dir"
    storage = f"journal:///{tmp_path / 'study.journal'}"
    done = subprocess.run(cli("setup", config, "--class", "jump", "--storage", storage, "--studies-dir", studies,
                              "--device", "cpu", "--no-tracking"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    command = shlex.split(done.stdout.strip().splitlines()[-1].split("start workers with: ", 1)[1])
    assert command[:3] == ["autosynthda", "worker", str(config)]
    options = dict(zip(command[3::2], command[4::2], strict=False))
    assert options["--storage"] == storage and options["--class"] == "jump"
    assert options["--studies-dir"] == str(studies) and "--no-tracking" in command
    assert (studies / "stops_jump").is_dir()  # where that worker will look


def group_members(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads listening sockets and processes from /proc")
def test_sigterm_to_a_dashboard_stops_its_server_processes(tmp_path):
    from mlflow.tracking import MlflowClient

    store = tmp_path / "studies" / "dash" / "mlflow.db"
    store.parent.mkdir(parents=True)
    MlflowClient(f"sqlite:///{store}").create_experiment("dash")
    port = free_port()
    # Its own session (as a shell's job would be), so the test can see which processes the dashboard started.
    dashboard = subprocess.Popen(cli("dashboard", "dash", "--port", port, "--studies-dir", tmp_path / "studies"),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    server_group = None
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                    assert reply.read() == b"OK"
                    break
            except OSError:
                assert dashboard.poll() is None, dashboard.stdout.read()
                assert time.monotonic() < deadline, "the MLflow UI did not answer in 180 s"
                time.sleep(1)
        children = [int(p) for p in Path(f"/proc/{dashboard.pid}/task/{dashboard.pid}/children").read_text().split()]
        server_group = os.getpgid(children[0])
        os.kill(dashboard.pid, signal.SIGTERM)  # the pid alone, as `kill PID` or a process manager sends it
        dashboard.wait(timeout=60)
        deadline = time.monotonic() + 30
        while (listening_addresses(port) or group_members(server_group)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not listening_addresses(port), f"port {port} still listening after SIGTERM"
        assert group_members(server_group) == [], "server processes left running"
    finally:
        for group in {os.getpgid(dashboard.pid) if dashboard.poll() is None else None, server_group} - {None}:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
