"""Reading TAO's files: status.json while it grows, evaluate's kpi and stdout, success decided from files not exit."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from optimizer.scoring.tao.checks import Checkpoint, check_final_epoch, check_run, final_checkpoint
from optimizer.scoring.tao.errors import (
    Redactor,
    TaoExitError,
    TaoNoStatus,
    TaoOutOfMemory,
    TaoReportedFailure,
    TaoResultError,
    TaoSpecRejected,
)
from optimizer.scoring.tao.results import (
    EpochTracker,
    StatusTail,
    evaluate_kpi,
    execution_status,
    parse_evaluate_stdout,
    read_status,
)
from optimizer.scoring.tao.runtimes import RunExit

BASE = {"date": "6/1/2025", "time": "12:3:4", "verbosity": "INFO"}


def line(message, status="RUNNING", **extra):
    return json.dumps({**extra.pop("data", {}), **BASE, "status": status, "message": message, **extra})


# What TAO's status logger writes for two epochs: the kpi sticks to later lines until replaced.
TRAIN_STATUS = [
    line("Starting Training Loop.", "STARTED"),
    line("Eval metrics generated.", kpi={"val_loss": 0.9, "val_acc": 0.5}),
    line("Training loop in progress", data={"epoch": 0, "max_epoch": 1}, kpi={"val_loss": 0.9, "val_acc": 0.5}),
    line("Train metrics generated.", kpi={"train_loss": 1.1, "train_acc": 0.4}),
    line("Eval metrics generated.", kpi={"val_loss": 0.7, "val_acc": 0.75}),
    line("Training loop in progress", data={"epoch": 1, "max_epoch": 1}, kpi={"val_loss": 0.7, "val_acc": 0.75}),
    line("Train metrics generated.", kpi={"train_loss": 0.8, "train_acc": 0.6}),
    line("Training finished successfully."),
]


def test_tail_returns_each_complete_line_once(tmp_path):
    path = tmp_path / "status.json"
    tail, tracker = StatusTail(path), EpochTracker()
    assert tail.read() == []  # not there yet
    text = "\n".join(TRAIN_STATUS) + "\n"
    cut = text.index("Training loop in progress") + 10  # mid-line: the half line waits for its newline
    path.write_text(text[:cut])
    assert tracker.feed(tail.read()) == [(0, 0.5)]
    with path.open("a") as f:
        f.write(text[cut:])
    assert tracker.feed(tail.read()) == [(1, 0.75)]
    assert tracker.feed(tail.read()) == []
    assert tracker.history() == [
        {"epoch": 0.0, "val_loss": 0.9, "val_acc": 0.5, "train_loss": 1.1, "train_acc": 0.4},
        {"epoch": 1.0, "val_loss": 0.7, "val_acc": 0.75, "train_loss": 0.8, "train_acc": 0.6},
    ]


def test_evaluate_kpi_is_the_last_line_with_accuracy(tmp_path):
    path = tmp_path / "status.json"
    path.write_text("\n".join([
        line("Starting Action recognition evaluation", "STARTED"),
        line("Test metrics generated.", kpi={"accuracy": 80.0, "m_accuracy": 75.0}),
        line("Test metrics generated.", kpi={"accuracy": 66.667, "m_accuracy": 58.333}),
        line("Evaluation finished successfully.", "SUCCESS", kpi={"accuracy": 66.667, "m_accuracy": 58.333}),
    ]))  # no final newline
    assert evaluate_kpi(read_status(path)) == (66.667, 58.333)
    assert read_status(tmp_path / "absent.json") is None


STDOUT = """Evaluate results will be saved at: /results/evaluate
*******************************
fall          66.67
a_rather_long_class_name100.0
walk          0.0
*******************************
Total accuracy: 57.143
Average class accuracy: 55.556
Execution status: PASS
"""


def test_stdout_per_class_lines_even_when_a_name_touches_its_number():
    parsed = parse_evaluate_stdout(STDOUT, ["fall", "a_rather_long_class_name", "walk"])
    assert parsed.per_class == {"fall": 66.67, "a_rather_long_class_name": 100.0, "walk": 0.0}
    assert (parsed.total, parsed.average) == (57.143, 55.556)
    assert execution_status(STDOUT) == "PASS"
    missing = parse_evaluate_stdout("nothing printed", ["fall"])
    assert missing.per_class == {} and missing.total is None and math.isnan(parse_evaluate_stdout(
        "*****\nfall          nan\n*****\n", ["fall"]).per_class["fall"])


OK_STATUS = [json.loads(x) for x in TRAIN_STATUS]


@pytest.mark.parametrize(("ended", "log", "status", "error", "reason"), [
    (RunExit(1), "Traceback\nRuntimeError: boom\nExecution status: FAIL", OK_STATUS, TaoExitError,
     "train: exit code 1: RuntimeError: boom"),
    (RunExit(0), "ValueError: Dataset size (3) is smaller than the total batch size (8)\nExecution status: FAIL",
     OK_STATUS, TaoReportedFailure, "exit code 0 but `Execution status: FAIL`: ValueError: Dataset size (3)"),
    (RunExit(0), "Execution status: PASS", None, TaoNoStatus, "no train/status.json"),
    (RunExit(0), "Execution status: PASS", [*OK_STATUS, {"status": "FAILURE", "message": "CUDA error"}],
     TaoReportedFailure, "train: CUDA error (status.json FAILURE, exit code 0)"),
    (RunExit(137), "Killed", OK_STATUS, TaoOutOfMemory, "killed, exit 137 (SIGKILL"),
    (RunExit(137, oom_killed=True), "", OK_STATUS, TaoOutOfMemory, "Docker's OOM killer"),
    (RunExit(1), "torch.OutOfMemoryError: CUDA out of memory.\nExecution status: FAIL", None, TaoOutOfMemory,
     "CUDA out of memory"),
    (RunExit(1), "Key 'seed' not in 'ARTrainExpConfig'\n    full_key: train.seed\nExecution status: FAIL", None,
     TaoSpecRejected, "TAO rejected spec key 'seed' (not in ARTrainExpConfig)"),
])
def test_each_failure_shape_has_its_reason(ended, log, status, error, reason):
    with pytest.raises(error) as info:
        check_run("train", ended, log, status, tail="last lines")
    assert reason in str(info.value) and info.value.log_tail == "last lines"


def test_success_needs_exit_zero_pass_and_a_clean_status():
    check_run("train", RunExit(0), "Execution status: PASS", OK_STATUS, tail="")


def test_final_checkpoint_is_the_highest_epoch(tmp_path):
    for name in ("model_epoch_004.pth", "model_epoch_019.pth", "model_epoch_009.pth", "ar_model_latest.pth"):
        (tmp_path / name).write_text("x")
    found = final_checkpoint(tmp_path, (".pth",))
    assert found.path.name == "model_epoch_019.pth" and found.epoch == 19
    for p in tmp_path.glob("model_epoch_*"):
        p.unlink()
    assert final_checkpoint(tmp_path, (".pth",)).path.name == "ar_model_latest.pth"
    assert final_checkpoint(tmp_path / "absent", (".pth",)) is None


def test_redactor_masks_every_secret(tmp_path):
    redact = Redactor(["s3cret", None, ""])
    assert redact("key=s3cret and s3cret") == "key=REDACTED and REDACTED"
    path = tmp_path / "experiment.yaml"
    path.write_text("encryption_key: s3cret\n")
    redact.file(path)
    assert path.read_text() == "encryption_key: REDACTED\n"
    assert Redactor([])("s3cret") == "s3cret"


def test_redactor_keeps_binary_files_the_same_length(tmp_path):
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(b"\x08\x01hparams s3cret \x00\xff")
    Redactor(["s3cret"]).file(path, text=False)
    assert path.read_bytes() == b"\x08\x01hparams ****** \x00\xff"


# What NVIDIA's action_recognition really printed and wrote (fixtures/README.md): raw bytes, \r and ANSI codes kept.
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_log(name: str) -> str:
    return (FIXTURES / f"{name}.log").read_bytes().decode("utf-8", errors="replace")


def as_pumped(text: str) -> str:
    """The log as the runtimes keep it: LogPump ends a line at every \\r."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("shape", [lambda t: t, as_pumped], ids=["raw", "pumped"])
def test_real_evaluate_per_class_rows_glued_to_the_progress_bar(shape):
    log = shape(fixture_log("evaluate"))
    assert "0.88it/s]*******************************fall          100.0" in as_pumped(log)  # the glued row
    parsed = parse_evaluate_stdout(log, ["fall", "walk"])
    assert parsed.per_class == {"fall": 100.0, "walk": 0.0}
    assert (parsed.total, parsed.average) == (50.0, 50.0)
    assert evaluate_kpi(read_status(FIXTURES / "evaluate.status.json")) == (50.0, 50.0)


@pytest.mark.parametrize(("name", "message"), [
    ("train_fail_lr", "Parameter validation error: Only [AutoReduce, MultiStep] scheduler is supported"),
    ("train_fail_batch", "Parameter validation error: Dataset size (8) is smaller than the total batch size (16). "
                         "Not enough data for train."),
])
def test_real_failure_reason_is_taos_status_message(name, message):
    log, status = fixture_log(name), read_status(FIXTURES / f"{name}.status.json")
    assert "nvidia_tao_core.telemetry is not available" in log.splitlines()[-2]  # the last line saying "Error"
    with pytest.raises(TaoReportedFailure) as info:
        check_run("train", RunExit(1), log, status, tail="")
    assert str(info.value) == f"train: {message} (status.json FAILURE, exit code 1)"


def test_real_failure_without_status_names_the_exception_not_the_telemetry_warning():
    with pytest.raises(TaoExitError) as info:
        check_run("train", RunExit(1), fixture_log("train_fail_lr"), None, tail="")
    assert str(info.value) == "train: exit code 1: ValueError: Only [AutoReduce, MultiStep] scheduler is supported"


def test_real_success_has_no_success_status_and_passes():
    for name in ("train", "evaluate"):
        status = read_status(FIXTURES / f"{name}.status.json")
        assert {line["status"] for line in status} == {"STARTED", "RUNNING"}
        assert status[-1]["message"] == f"{name.capitalize()} finished successfully."
        check_run(name, RunExit(0), fixture_log(name), status, tail="")


def test_real_checkpoint_names_and_the_final_epoch_check(tmp_path):
    listed = (FIXTURES / "train.checkpoints.txt").read_text().splitlines()
    for entry in listed:
        name, _, target = entry.partition(" -> ")
        (tmp_path / name).symlink_to(target) if target else (tmp_path / name).write_text("x")
    found = final_checkpoint(tmp_path, (".pth",))
    assert (found.path.name, found.epoch) == ("model_epoch_001_step_00008.pth", 1)
    status = read_status(FIXTURES / "train.status.json")
    check_final_epoch(found, 2, status)  # the capture trained 2 epochs
    with pytest.raises(TaoResultError, match=r"status.json plans epochs 0..1, the driver asked for 3"):
        check_final_epoch(found, 3, status)
    earlier = Checkpoint(tmp_path / "model_epoch_000_step_00004.pth", 0)
    with pytest.raises(TaoResultError, match=r"is from epoch 0, not the final epoch 1 that train/status.json"):
        check_final_epoch(earlier, 2, status)
    with pytest.raises(TaoResultError, match=r"status.json ends at epoch 0, expected the final epoch 1"):
        check_final_epoch(found, 2, [line for line in status if line.get("epoch") != 1])
