"""TaoScorer through the local runtime and the stand-in `action_recognition` (TAO's contract, no model: see
standin/action_recognition). Success, every failure shape, pruning, fresh results dirs, secrets."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import time

import pytest
import yaml

from optimizer.scoring import Scorer, ScoringError, ScoringPruned
from optimizer.scoring.tao import (
    TaoNoStatus,
    TaoOutOfMemory,
    TaoReportedFailure,
    TaoResultsDirInUse,
    TaoSpecRejected,
    TaoTimeout,
    TaoUnavailable,
)
from tests.optimizer.scoring.tao.conftest import local_scorer

SECRET = "tao-key-5f3a9c"


def all_text(root) -> str:
    return "\n".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


def test_a_trial_trains_evaluates_and_reads_taos_files(standin, trial, monkeypatch):
    monkeypatch.setenv("TAO_TEST_KEY", SECRET)
    scorer = local_scorer(encryption_key_env="TAO_TEST_KEY")
    assert isinstance(scorer, Scorer)
    scorer.preflight()
    reported = []
    result = scorer.score(trial, seed=3, report=lambda epoch, value: reported.append((epoch, value)) or False)

    evaluate_status = [json.loads(x) for x in (trial.root / "tao/results/evaluate/status.json").read_text().splitlines()]
    kpi = next(x["kpi"] for x in reversed(evaluate_status) if "accuracy" in x.get("kpi", {}))
    assert result.accuracy == pytest.approx(kpi["accuracy"] / 100, abs=1e-5)  # percent -> fraction
    assert result.mean_class_accuracy == pytest.approx(kpi["m_accuracy"] / 100, abs=1e-5)
    log = (trial.root / "tao/evaluate.log").read_text()
    for c in ("fall", "walk"):  # per-class recall from evaluate's per-class lines, exact from the test counts
        # As real TAO prints it, the first class row sits on the progress-bar line, after the asterisks.
        printed = float(next(m.group(1) for x in log.splitlines() if (m := re.search(rf"(?:^|\*){c}\s+(\S+)$", x))))
        assert result.per_class_recall[c] == pytest.approx(printed / 100, abs=5e-4)
        assert (result.per_class_recall[c] * 3) == pytest.approx(round(result.per_class_recall[c] * 3))
    assert sum(map(sum, result.confusion)) == 6 and result.info["kpi_source"] == "status.json"
    assert [e for e, _ in reported] == [0, 1, 2] and all(0 <= v <= 1 for _, v in reported)  # val_acc, a fraction
    assert [e["val_acc"] for e in result.epochs] == [v for _, v in reported] and result.best_epoch == 2
    assert result.info["checkpoint"] == "results/train/model_epoch_002_step_00012.pth"  # 9 videos, batch 2
    assert math.isnan(result.loss)

    kept = sorted(str(p.relative_to(trial.root / "tao")) for p in (trial.root / "tao").rglob("*") if p.is_file())
    assert kept == ["evaluate.log", "evaluate_spec.yaml", "results/evaluate/experiment.yaml",
                    "results/evaluate/status.json", "results/train/experiment.yaml", "results/train/status.json",
                    "train.log", "train_spec.yaml"]  # checkpoints deleted
    assert SECRET not in all_text(trial.root)
    # The key did reach TAO: its resolved config (experiment.yaml; TAO 7.3 does not print it) shows it masked.
    assert yaml.safe_load((trial.root / "tao/results/train/experiment.yaml").read_text())["encryption_key"] == "REDACTED"


def test_keep_checkpoints(standin, trial):
    local_scorer(keep_checkpoints=True).score(trial, seed=0)
    names = sorted(p.name for p in (trial.root / "tao/results/train").glob("*.pth"))
    assert names == ["ar_model_latest.pth", "model_epoch_002_step_00012.pth"]
    assert os.readlink(trial.root / "tao/results/train/ar_model_latest.pth") == "model_epoch_002_step_00012.pth"


def test_four_classes_leave_the_confusion_unknown(standin, trial4):
    result = local_scorer().score(trial4, seed=0)
    assert result.confusion == [] and all(math.isnan(v) for v in result.per_class_f1.values())
    assert set(result.per_class_recall) == {"fall", "jump", "punch", "walk"}
    assert result.mean_class_accuracy == pytest.approx(sum(result.per_class_recall.values()) / 4)
    assert "unknown" in result.info["confusion"]


FAILURES = [
    ("exit1", {}, TaoReportedFailure,
     "train: Parameter validation error: stand-in: injected failure (status.json FAILURE, exit code 1)"),
    ("fail_status", {}, TaoReportedFailure,
     "train: Parameter validation error: stand-in: injected failure (status.json FAILURE, exit code 0)"),
    ("no_status", {}, TaoNoStatus, "train: exit code 0 but no train/status.json"),
    ("oom", {}, TaoOutOfMemory, "train: killed, exit 137"),
    ("cuda_oom", {}, TaoOutOfMemory, "train: CUDA out of memory"),
    ("hang", {"timeout_s": 1.0}, TaoTimeout, "train: still running after 1 s (scorer.tao.timeout_s)"),
    ("exit1", {"task": "evaluate"}, TaoReportedFailure, "evaluate: Parameter validation error: stand-in: injected"),
]


@pytest.mark.parametrize(("kind", "extra", "error", "reason"), FAILURES, ids=[f"{f[0]}-{f[1]}" for f in FAILURES])
def test_each_failure_shape_raises_its_reason_with_the_log_tail(standin, trial, monkeypatch, kind, extra, error,
                                                                 reason):
    monkeypatch.setenv("TAO_STANDIN_FAIL", kind)
    monkeypatch.setenv("TAO_STANDIN_FAIL_TASK", extra.get("task", "train"))
    scorer = local_scorer(**{k: v for k, v in extra.items() if k != "task"})
    with pytest.raises(error) as info:
        scorer.score(trial, seed=0)
    assert reason in str(info.value) and isinstance(info.value, ScoringError)
    assert info.value.log_tail and info.value.log_tail.splitlines()[-1].strip()
    assert not list(trial.root.rglob("*.pth"))  # checkpoints go on failure too


def test_a_key_this_tao_does_not_know_is_named(standin, trial, monkeypatch):
    monkeypatch.setenv("TAO_STANDIN_UNKNOWN_KEYS", "train.validation_interval")
    with pytest.raises(TaoSpecRejected, match=r"train: TAO rejected spec key 'validation_interval' \(not in "
                                              r"ARTrainExpConfig\)") as info:
        local_scorer().score(trial, seed=0)
    assert "full_key: train.validation_interval" in info.value.log_tail
    assert not (trial.root / "tao/results/train/status.json").exists()  # TAO's shape: no status.json


def test_report_true_prunes_and_stops_training(standin, trial, tmp_path, monkeypatch):
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("TAO_STANDIN_EPOCH_S", "0.2")
    monkeypatch.setenv("TAO_STANDIN_PIDFILE", str(pidfile))
    started = time.monotonic()
    with pytest.raises(ScoringPruned) as info:
        local_scorer(epochs=50).score(trial, seed=0, report=lambda epoch, value: epoch >= 1)
    assert info.value.epoch == 1 and time.monotonic() - started < 5  # 50 epochs would take 10 s
    pid = int(pidfile.read_text().split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped, not left running
    assert not list(trial.root.rglob("*.pth")) and not (trial.root / "tao/results/evaluate").exists()


def test_a_results_dir_holding_checkpoints_is_refused(standin, trial):
    train_dir = trial.root / "tao/results/train"
    train_dir.mkdir(parents=True)
    (train_dir / "ar_model_latest.pth").write_text(json.dumps({"epoch": 2, "train_counts": {}}))
    with pytest.raises(TaoResultsDirInUse, match=r"holds checkpoints \(ar_model_latest\.pth.*would resume"):
        local_scorer().score(trial, seed=0)


def test_why_fresh_results_dirs_matter(standin, tmp_path):
    """TAO's trap, reproduced by the stand-in: with a *_latest.pth present, train "passes" without training."""
    out = tmp_path / "results/train"
    out.mkdir(parents=True)
    (out / "ar_model_latest.pth").write_text(json.dumps({"epoch": 2}))
    spec = tmp_path / "train.yaml"
    data = tmp_path / "data"
    (data / "fall").mkdir(parents=True)
    spec.write_text(yaml.safe_dump({"results_dir": str(tmp_path / "results"), "dataset": {
        "label_map": {"fall": 0}, "train_dataset_dir": str(data), "val_dataset_dir": str(data)}}))
    run = subprocess.run([str(standin), "train", "-e", str(spec), "train.num_epochs=3", "dataset.batch_size=0"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "Restoring states from the checkpoint path at" in run.stdout
    assert "Execution status: PASS" in run.stdout and "Epoch" not in run.stdout


def test_a_dataset_tao_would_refuse_fails_before_launching(standin, trial):
    with pytest.raises(ScoringError, match=r"TAO dataset check: .*val: videos: 4 videos is smaller than the batch "
                                           r"size 8"):
        local_scorer(batch_size=8).score(trial, seed=0)
    assert not (trial.root / "tao/train.log").exists()


def test_local_preflight_without_the_executable(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TaoUnavailable, match=r"^scorer\.tao\.runtime local: `action_recognition` is not on PATH"):
        local_scorer().preflight()


def test_preflight_wants_the_key_and_the_model(standin, monkeypatch, tmp_path):
    monkeypatch.delenv("TAO_TEST_KEY", raising=False)
    with pytest.raises(TaoUnavailable, match=r"encryption_key_env: environment variable TAO_TEST_KEY is not set"):
        local_scorer(encryption_key_env="TAO_TEST_KEY").preflight()
    with pytest.raises(TaoUnavailable, match=r"pretrained_model_path: .*model\.tlt does not exist"):
        local_scorer(pretrained_model_path=tmp_path / "model.tlt").preflight()


def test_stdout_is_the_fallback_when_status_json_has_no_accuracy(standin, trial, monkeypatch):
    import optimizer.scoring.tao.scorer as scorer_module

    with_kpi = local_scorer().score(trial, seed=0)
    shutil.rmtree(trial.root / "tao")
    monkeypatch.setattr(scorer_module, "evaluate_kpi", lambda lines: None)  # as if status.json lost its kpi line
    from_stdout = local_scorer().score(trial, seed=0)
    assert from_stdout.info["kpi_source"] == "stdout" and with_kpi.info["kpi_source"] == "status.json"
    assert from_stdout.accuracy == with_kpi.accuracy
    assert from_stdout.mean_class_accuracy == with_kpi.mean_class_accuracy
    assert from_stdout.per_class_recall == with_kpi.per_class_recall
