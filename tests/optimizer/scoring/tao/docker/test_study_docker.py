"""A 2-trial TAO study through the command line with runtime docker on the real daemon: the stand-in image, gpus
none, tiny renders (32 px, one real view, two classes), tracking off. Every TAO run of the study is a container the
project's DockerRuntime created, ran as our uid and removed."""

from __future__ import annotations

import os
import subprocess
import sys

import optuna
import yaml
from optuna.trial import TrialState

from optimizer.config import REPO
from optimizer.study import StudyPaths
from tests.optimizer.scoring.tao.docker.conftest import owned_by_us


def test_optimize_with_runtime_docker_end_to_end(standin_image, docker_env, docker_client, tmp_path):
    config = yaml.safe_load((REPO / "studies/fall_tao.yaml").read_text())
    name = "dockerstudy"
    config["name"] = name
    config["data"]["classes"] = ["fall", "walk"]
    config["render"].update({"size": 32, "real_views": "front", "synthetic_views": "front"})
    config["search"]["trials"] = 2
    config["scorer"]["tao"].update({"runtime": "docker", "image": standin_image, "gpus": "none", "epochs": 2,
                                    "batch_size": 2, "shm_size": "64M", "stop_grace_s": 2, "timeout_s": 600})
    study_file = tmp_path / "fall_docker.yaml"
    study_file.write_text(yaml.safe_dump(config, sort_keys=False))
    studies = tmp_path / "studies"
    env = {**os.environ, **docker_env, "TMPDIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "optimizer.cli", "optimize", str(study_file), "--trials", "2", "--no-tracking",
         "--studies-dir", str(studies)], capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    paths = StudyPaths.for_study(name, studies)
    study = optuna.load_study(study_name=name, storage=paths.default_storage)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    for trial in study.trials:
        tao = paths.trial_dir(trial.number) / "tao"
        assert trial.user_attrs["metrics"]["accuracy"] >= 0
        for task in ("train", "evaluate"):
            assert "Execution status: PASS" in (tao / f"{task}.log").read_text()
            assert owned_by_us(tao / "results" / task / "status.json")
        assert not list(tao.rglob("*.pth")) and not list(tao.glob("*.process.json"))
    left = docker_client.containers.list(all=True, filters={"label": f"autosynthda.study={name}"})
    assert left == []
    assert not list(tmp_path.glob("autosynthda-tao-spec-*"))
