"""MLflow review against a real SQLite tracking store, read back through the MLflow client.

A 3-trial study with a fast configuration of the real embedded scorer, where the second trial's scorer fails (with a
log tail, as the TAO scorer's errors carry): one parent run, three child runs with params, metrics and artifacts.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import optuna
import pytest
import yaml
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState
from PIL import Image

from optimizer.config import StudyConfig
from optimizer.scoring import EmbeddedScorer, ScoringError
from optimizer.study import StudyPaths, prepare_study, run_study
from optimizer.tracking import PARENT_RUN_ATTR, RUN_ATTR, StudyTracker, resolve_tracking_uri

FAST = {
    "name": "tracked",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 32, "real_views": "front", "synthetic_views": "front,random:2"},
    "search": {"trials": 2, "seed": 0, "sampler": "random"},
    "scorer": {"epochs": 2, "frames": 8, "size": 32, "batch_size": 8},
    "keep_trial_data": True,
}


class FailingSecondCall:
    """The real embedded scorer, except that its second call fails the way a TAO run does (with a log tail)."""

    def __init__(self) -> None:
        self.inner = EmbeddedScorer(epochs=2, frames=8, size=32, batch_size=8, device="cpu")
        self.calls = 0

    def score(self, dataset, *, seed, report=None):
        self.calls += 1
        if self.calls == 2:
            error = ScoringError(f"{dataset.root}: train: exited with status 1 (CUDA out of memory)")
            error.log_tail = "epoch 1/2\nRuntimeError: CUDA out of memory\n"
            raise error
        return self.inner.score(dataset, seed=seed, report=report)


@pytest.fixture(scope="module")
def tracked_study(tmp_path_factory):
    root = tmp_path_factory.mktemp("tracked")
    config = StudyConfig.model_validate({**FAST, "data": {**FAST["data"], "real": os.path.abspath(FAST["data"]["real"])}})
    paths = StudyPaths.for_study(config.name, root / "studies")
    prepared = prepare_study(config, paths=paths, device="cpu", log=lambda _: None)
    run_study(prepared, FailingSecondCall(), n_trials=2)
    client = MlflowClient(resolve_tracking_uri(config, paths.root))
    return prepared, client


def _runs(client, name):
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id], max_results=100)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = sorted((r for r in runs if "mlflow.parentRunId" in r.data.tags), key=lambda r: int(r.data.tags["trial_number"]))
    return parents, children


def _artifacts(client, run_id, path=""):
    found = []
    for item in client.list_artifacts(run_id, path):
        found.extend(_artifacts(client, run_id, item.path) if item.is_dir else [item.path])
    return sorted(found)


def test_one_parent_and_a_child_per_trial_linked_through_the_study(tracked_study):
    prepared, client = tracked_study
    study = prepared.study
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]
    parents, children = _runs(client, "tracked")
    assert len(parents) == 1 and len(children) == 3
    parent = parents[0]
    assert study.user_attrs[PARENT_RUN_ATTR] == parent.info.run_id
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parent.info.run_id}
    assert [c.info.run_id for c in children] == [t.user_attrs[RUN_ATTR] for t in study.trials]
    assert parent.data.params["search.sampler"] == "random" and parent.data.params["target_class"] == "fall"
    assert parent.info.status == "FINISHED"


def test_child_runs_carry_params_metrics_and_artifacts(tracked_study):
    prepared, client = tracked_study
    _, children = _runs(client, "tracked")
    for trial, run in zip(prepared.study.trials, children):
        params = run.data.params
        assert float(params["weight"]) == pytest.approx(trial.params["weight"])
        assert float(params["ratio"]) == pytest.approx(trial.params["ratio"])
        assert params["blend_method"] == "synthda" and params["render.synthetic_views"] == "front,random:2"
        assert int(params["seeds.generation"]) == trial.user_attrs["generation_seed"]
        assert params["scorer.kind"] == "embedded" and params["scorer.epochs"] == "2"
        assert run.data.tags["state"] == trial.state.name
    for index in (0, 2):
        trial, run = prepared.study.trials[index], children[index]
        metrics = run.data.metrics
        assert metrics["mean_class_accuracy"] == pytest.approx(trial.value)
        assert {"accuracy", "recall.fall", "recall.walk", "time.train_s", "time.render_s"} <= set(metrics)
        curve = client.get_metric_history(run.info.run_id, "epoch.val_acc")
        assert [m.step for m in curve] == [0, 1]
        assert run.info.status == "FINISHED"
        files = _artifacts(client, run.info.run_id)
        assert {"confusion_matrix.png", "manifest.json", "result.json", "previews/contact_sheet.png"} <= set(files)
        assert any(f.startswith("previews/") and f.endswith(".mp4") for f in files)
    # the baseline (ratio 0) previews a real clip of the target; trial 2 its synthetic clips
    assert any("syn_" in f for f in _artifacts(client, children[2].info.run_id, "previews"))


def test_a_failed_trial_carries_its_reason_and_log_tail(tracked_study):
    prepared, client = tracked_study
    _, children = _runs(client, "tracked")
    failed = children[1]
    assert failed.info.status == "FAILED"
    assert failed.data.tags["state"] == "FAIL"
    assert "CUDA out of memory" in failed.data.tags["fail_reason"]
    tail = client.download_artifacts(failed.info.run_id, "logs/log_tail.txt")
    assert "RuntimeError: CUDA out of memory" in open(tail).read()


def test_study_artifacts_on_the_parent(tracked_study):
    prepared, client = tracked_study
    parents, _ = _runs(client, "tracked")
    files = set(_artifacts(client, parents[0].info.run_id))
    assert {"study/trials.csv", "study/history.png", "study/score_vs_weight.png"} <= files
    csv = open(client.download_artifacts(parents[0].info.run_id, "study/trials.csv")).read().splitlines()
    assert len(csv) == 4 and "FAIL" in csv[2]
    image = np.asarray(Image.open(client.download_artifacts(parents[0].info.run_id, "study/score_vs_weight.png")))
    assert image.shape[0] > 100 and image.std() > 10  # a drawn figure, not a blank
    best = client.get_metric_history(parents[0].info.run_id, "best_value")
    assert best[-1].value == pytest.approx(prepared.study.best_value)


def test_a_retried_trial_logs_to_a_new_run_linked_to_the_old_one(tracked_study):
    prepared, client = tracked_study
    study = prepared.study
    # a worker that dies mid-trial: its trial is RUNNING with a child run and a pid that no longer exists
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    trial = study.ask({})
    trial.suggest_float("weight", 0.0, 1.0)
    trial.suggest_float("ratio", 0.0, 2.0)
    trial.set_user_attr("worker", {"host": os.uname().nodename, "pid": int(dead.stdout)})
    old_run = prepared.tracker.trial_started(trial, {"weight": 0.1, "ratio": 0.2})
    run_study(prepared, FailingSecondCall(), n_trials=3)
    retry = study.trials[-1]
    assert retry.state == TrialState.COMPLETE and retry.user_attrs["retry_of"] == trial.number
    assert retry.params == study.trials[trial.number].params
    new_run = client.get_run(retry.user_attrs[RUN_ATTR])
    assert new_run.info.run_id != old_run and new_run.data.tags["retry_of_run"] == old_run
    old = client.get_run(old_run)
    assert old.info.status == "KILLED" and old.data.tags["retried_by_run"] == new_run.info.run_id


def test_a_bad_tracking_uri_is_one_error_before_any_work(tmp_path, autosynthda):
    config = {**FAST, "tracking": {"uri": "postgresql://nobody:secret@127.0.0.1:1/none"}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = autosynthda("optimize", path, "--studies-dir", tmp_path / "studies", "--device", "cpu")
    assert result.returncode == 2
    assert result.stderr.startswith("error: tracking.uri: MLflow store postgresql://nobody:***@127.0.0.1:1/none")
    assert "secret" not in result.stderr + result.stdout
    assert not (tmp_path / "studies" / "tracked" / "trials").exists()


def test_a_postgresql_tracking_store_gets_the_experiment_and_parent(tmp_path, postgres_url):
    """MLflow on PostgreSQL without a server (what the compose file's MLflow server uses as its backend)."""
    config = StudyConfig.model_validate({**FAST, "tracking": {"uri": postgres_url}})
    study = optuna.create_study(direction="maximize")
    tracker = StudyTracker.setup(config, tmp_path, study, log=print)
    again = StudyTracker.setup(config, tmp_path, study, log=print)  # a second setup finds both
    assert again.parent_run_id == tracker.parent_run_id == study.user_attrs[PARENT_RUN_ATTR]
    client = MlflowClient(postgres_url.replace("postgresql://", "postgresql+psycopg2://"))
    experiment = client.get_experiment_by_name("tracked")
    assert experiment.artifact_location == (tmp_path / "mlartifacts").resolve().as_uri()
    assert client.get_run(tracker.parent_run_id).data.params["search.trials"] == "2"
