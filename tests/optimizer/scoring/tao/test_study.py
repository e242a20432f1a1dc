"""A TAO study end to end with the stand-in `action_recognition` (local runtime): the command line, each failure
shape failing its trial (reason + log tail recorded) while the study goes on, and errors before any trial.

Studies here are studies/fall_tao.yaml with render.size 32 and one real view (batch_size 4 to fit the smaller val
split): the stand-in reads folders, not pixels, and rendering is the slow part. The real clips are rendered once per
module and hard-linked into each test's study.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState
from rich.console import Console

from optimizer.config import REPO, load_config
from optimizer.scoring import make_scorer
from optimizer.study import StudyFailed, StudyPaths, prepare_study, run_study

SECRET = "tao-key-c0ffee-91d2"


def fast_yaml(directory: Path, **tao) -> Path:
    config = yaml.safe_load((REPO / "studies/fall_tao.yaml").read_text())
    config["render"].update({"size": 32, "real_views": "front"})
    config["scorer"]["tao"].update({"runtime": "local", "epochs": 2, "batch_size": 4, **tao})
    path = directory / "fall_tao.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> StudyPaths:
    """The study's real renders and pair bank, made once; each test starts a fresh study on hard-linked copies."""
    root = tmp_path_factory.mktemp("tao_study")
    base = StudyPaths.for_study("fall_tao", root / "base")
    prepare_study(load_config(fast_yaml(root)), paths=base, log=lambda *a: None)
    return base


def link_renders(base: StudyPaths, studies: Path) -> StudyPaths:
    paths = StudyPaths.for_study("fall_tao", studies)
    for sub in ("pairs", "real"):
        shutil.copytree(base.root / sub, paths.root / sub, copy_function=os.link)
    return paths


def fresh_study(rendered, tmp_path, **overrides):
    paths = link_renders(rendered, tmp_path / "studies")
    config = load_config(fast_yaml(tmp_path), **overrides)
    return prepare_study(config, paths=paths, log=lambda *a: None), paths


def test_optimize_fall_tao_runtime_local_end_to_end(standin, rendered, tmp_path, monkeypatch):
    path = fast_yaml(tmp_path, runtime="docker", encryption_key_env="TAO_TEST_KEY")  # --runtime local overrides
    studies, scratch = tmp_path / "studies", tmp_path / "tmp"
    link_renders(rendered, studies)
    scratch.mkdir()
    env = {**os.environ, "TAO_TEST_KEY": SECRET, "TMPDIR": str(scratch)}
    run = subprocess.run(
        [sys.executable, "-m", "optimizer.cli", "optimize", str(path), "--runtime", "local", "--trials", "2",
         "--studies-dir", str(studies)], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert "trial 0 [w=0.500 r=0.00] complete" in run.stdout and "best: trial" in run.stdout
    assert "videos loaded from disk" in run.stdout  # the linked renders: only the trials ran here
    paths = StudyPaths.for_study("fall_tao", studies)
    study = optuna.load_study(study_name="fall_tao", storage=paths.default_storage)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    for trial in study.trials:
        tao = paths.trial_dir(trial.number) / "tao"
        assert (tao / "train.log").is_file() and (tao / "evaluate.log").is_file()
        assert (tao / "results/evaluate/status.json").is_file() and not list(tao.rglob("*.pth"))
        assert 0 <= trial.value <= 1 and trial.user_attrs["metrics"]["accuracy"] >= 0
    assert study.trials[1].user_attrs["synthetic_clips"] > 0  # the trial really added clips TAO trained on
    # The key reached TAO (its experiment.yaml shows it masked) and nothing kept, printed or stored holds it.
    assert "encryption_key: REDACTED" in (paths.trial_dir(0) / "tao/results/train/experiment.yaml").read_text()
    for file in studies.rglob("*"):
        assert not file.is_file() or SECRET.encode() not in file.read_bytes(), file
    assert SECRET not in run.stdout + run.stderr
    assert list(scratch.iterdir()) == []  # the private spec folders are gone


FAILURES = [
    ("exit1", {}, "TaoReportedFailure: train: Parameter validation error: stand-in: injected failure (status.json "
                  "FAILURE, exit code 1)"),
    ("fail_status", {}, "TaoReportedFailure: train: Parameter validation error: stand-in: injected failure "
                        "(status.json FAILURE, exit code 0)"),
    ("no_status", {}, "TaoNoStatus: train: exit code 0 but no train/status.json"),
    ("hang", {"scorer.tao.timeout_s": 1.5}, "TaoTimeout: train: still running after 1.5 s"),
    ("oom", {}, "TaoOutOfMemory: train: killed, exit 137"),
    ("bad_key", {}, "TaoSpecRejected: train: TAO rejected spec key 'validation_interval' (not in ARTrainExpConfig)"),
]


@pytest.mark.parametrize(("kind", "overrides", "reason"), FAILURES, ids=[f[0] for f in FAILURES])
def test_a_failed_trial_keeps_its_reason_and_log_and_the_study_goes_on(standin, rendered, tmp_path, monkeypatch,
                                                                        kind, overrides, reason):
    if kind == "bad_key":
        monkeypatch.setenv("TAO_STANDIN_UNKNOWN_KEYS", "train.validation_interval")
    else:
        monkeypatch.setenv("TAO_STANDIN_FAIL", kind)
    monkeypatch.setenv("TAO_STANDIN_FAIL_MATCH", f"{os.sep}00000{os.sep}")  # trial 0 only
    prepared, paths = fresh_study(rendered, tmp_path, **overrides)
    out = io.StringIO()
    run_study(prepared, make_scorer(prepared.config.scorer, study=prepared.config.name), 1, Console(file=out, width=300))
    trials = prepared.study.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE]  # failed, then went on
    failed = trials[0]
    assert failed.user_attrs["fail_reason"].startswith(reason)
    assert failed.user_attrs["log_tail"].strip() and "Traceback" not in failed.user_attrs["fail_reason"]
    assert f"trial 0 [w=0.500 r=0.00] fail: {reason}" in out.getvalue()
    assert (paths.trial_dir(0) / "tao/train.log").read_text().endswith(failed.user_attrs["log_tail"] + "\n")


def test_three_failures_in_a_row_still_stop_the_study(standin, rendered, tmp_path, monkeypatch):
    monkeypatch.setenv("TAO_STANDIN_FAIL", "exit1")
    prepared, _ = fresh_study(rendered, tmp_path)
    with pytest.raises(StudyFailed, match=r"3 trials in a row failed; last: TaoReportedFailure: train: Parameter validation error"):
        run_study(prepared, make_scorer(prepared.config.scorer, study=prepared.config.name), 2, Console(file=io.StringIO()))


def cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    from optimizer.cli.app import main

    monkeypatch.setattr(sys, "argv", ["autosynthda", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_setup_errors_come_before_any_trial(monkeypatch, capsys, tmp_path):
    studies = tmp_path / "studies"
    monkeypatch.setenv("PATH", str(tmp_path))  # no docker CLI, apptainer or action_recognition here
    cases = [
        (["--runtime", "apptainer"], "error: scorer.tao.runtime apptainer: neither `apptainer` nor `singularity`"),
        (["--runtime", "local"], "error: scorer.tao.runtime local: `action_recognition` is not on PATH"),
        (["--runtime", "podman"], "error: --runtime: must be one of docker, apptainer, local, got 'podman'"),
    ]
    for args, message in cases:
        code, _, err = cli(monkeypatch, capsys, "optimize", REPO / "studies/fall_tao.yaml", *args,
                           "--studies-dir", studies)
        assert code == 2 and err.startswith(message) and err.count("\n") == 1, err
    code, _, err = cli(monkeypatch, capsys, "optimize", REPO / "studies/fall.yaml", "--runtime", "local")
    assert code == 2 and err.startswith("error: --runtime: only for TAO studies (scorer.kind tao);")
    bad = fast_yaml(tmp_path, spec_overrides={"train.optim.lrr": 0.1})
    code, _, err = cli(monkeypatch, capsys, "optimize", bad, "--studies-dir", studies)
    assert code == 2 and err.startswith(f"error: {bad}: scorer.tao.spec_overrides: unknown TAO spec key "
                                        f"'train.optim.lrr': train.optim (OptimConfig) has ")
    assert not studies.exists()  # nothing rendered, no study created


def test_docker_without_a_daemon_is_one_error_before_any_trial(monkeypatch, capsys, tmp_path):
    import docker

    try:
        docker.from_env().ping()
        pytest.skip("a Docker daemon answers here")
    except docker.errors.DockerException:
        pass
    code, _, err = cli(monkeypatch, capsys, "optimize", REPO / "studies/fall_tao.yaml", "--studies-dir",
                       tmp_path / "studies")
    assert code == 2 and err.startswith("error: scorer.tao.runtime docker: no Docker daemon answers")
    assert err.count("\n") == 1 and not (tmp_path / "studies").exists()
