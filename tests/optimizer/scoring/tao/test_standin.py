"""The stand-in prints and writes what NVIDIA's action_recognition does: the same runs as fixtures/ (captured from
the real code by testing/tao/capture.py) are made with the stand-in and compared shape by shape (paths, numbers,
times and progress-bar fill masked; everything else equal)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from testing.tao.capture import capture

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RUNS = ("train", "evaluate", "inference", "train_fail_batch", "train_fail_lr")
_MASKS = [
    (re.compile(r"\x1b\[[0-9;]*m"), "<ansi>"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"), "<time>"),
    (re.compile(r"\|[█▏▎▍▌▋▊▉ ]*\|"), "|<bar>|"),
    (re.compile(r"\[\d\d:\d\d<[^\]]*\]"), "[<tqdm>]"),
    (re.compile(r"(?<!\w)/[\w./-]+"), "<path>"),
    (re.compile(r"\d+(\.\d+)?"), "0"),
]


def shape(text: str) -> str:
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text


def lines(text: str) -> list[str]:
    """Lines as a terminal shows them (the part after the last \\r), masked."""
    return [shape(line.rsplit("\r", 1)[-1]) for line in text.split("\n")]


def status(path: Path) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    out = []
    for raw in path.read_text().splitlines():
        line = json.loads(raw)
        extra = tuple(sorted(k for k in line if k not in ("date", "time", "status", "verbosity", "message", "kpi")))
        out.append((line["status"], shape(line["message"]), tuple(sorted(line.get("kpi", {}))), extra))
    return out


@pytest.fixture(scope="module")
def standin_runs(tmp_path_factory):
    from tests.optimizer.scoring.tao.conftest import STANDIN

    root = tmp_path_factory.mktemp("standin_capture")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "action_recognition"
    exe.write_bytes(STANDIN.read_bytes())
    exe.chmod(0o755)
    saved = os.environ["PATH"]
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved])  # its python3 has PyYAML
    try:
        codes = capture(bin_dir, root / "out", root / "work")
    finally:
        os.environ["PATH"] = saved
    return codes, root / "out"


def read(directory: Path, name: str) -> str:
    return (directory / f"{name}.log").read_bytes().decode()


def test_same_exit_codes_and_status_json(standin_runs):
    codes, out = standin_runs
    assert codes == {"train": 0, "evaluate": 0, "inference": 0, "train_fail_batch": 1, "train_fail_lr": 1}
    for name in RUNS:
        assert status(out / f"{name}.status.json") == status(FIXTURES / f"{name}.status.json"), name


def test_every_job_ends_with_taos_entrypoint_lines(standin_runs):
    _, out = standin_runs
    for name in RUNS:
        real, fake = lines(read(FIXTURES, name)), lines(read(out, name))
        assert fake[-6:] == real[-6:], name  # the ANSI telemetry warning, Execution status, the final newline
        assert "<ansi><time> - [TAO Toolkit] - WARNING - [Error]: nvidia_tao_core.telemetry is not available" in (
            fake[-3])


def test_evaluate_table_is_glued_to_the_progress_bar_as_real_tao_prints_it(standin_runs):
    _, out = standin_runs
    real, fake = read(FIXTURES, "evaluate"), read(out, "evaluate")

    def table(text: str) -> list[str]:
        raw = text.split("\n")
        first = next(i for i, line in enumerate(raw) if "*****" in line)
        return [shape(raw[first].rsplit("\r", 1)[-1]), *lines("\n".join(raw[first + 1:]))]

    assert table(fake) == table(real)
    assert table(real)[0] == "Testing DataLoader 0: 0%|<bar>| 0/0 [<tqdm>]*******************************fall" \
                             "          0"


def test_inference_prints_one_line_per_video(standin_runs):
    _, out = standin_runs

    def videos(text: str) -> list[str]:
        chunks = [shape(chunk) for chunk in re.split(r"[\r\n]", text) if " : [" in chunk]
        return sorted(chunk.rsplit("[<tqdm>]", 1)[-1] for chunk in chunks)

    real, fake = videos(read(FIXTURES, "inference")), videos(read(out, "inference"))
    assert len(real) == len(fake) == 6
    assert set(real) | set(fake) <= {"<path> : ['fall']", "<path> : ['walk']"}


def test_train_lines_and_failed_train_reasons(standin_runs):
    _, out = standin_runs
    for name in ("train", "train_fail_batch", "train_fail_lr"):
        real, fake = set(lines(read(FIXTURES, name))), set(lines(read(out, name)))
        shared = {"Train results will be saved at: <path>", "Seed set to 0", "Train dataset samples: 0",
                  "Validation dataset samples: 0",
                  "Set the environment variable HYDRA_FULL_ERROR=0 for a complete stack trace."}
        assert shared & real == shared & fake, name
    real, fake = lines(read(FIXTURES, "train_fail_lr")), lines(read(out, "train_fail_lr"))
    assert fake[-8:-6] == real[-8:-6] == ["ValueError: Only [AutoReduce, MultiStep] scheduler is supported",
                                          "Set the environment variable HYDRA_FULL_ERROR=0 for a complete stack trace."]


def test_checkpoint_names_and_the_latest_link(standin_runs):
    _, out = standin_runs
    real = (FIXTURES / "train.checkpoints.txt").read_text().splitlines()
    fake = (out / "train.checkpoints.txt").read_text().splitlines()
    assert sorted(shape(x) for x in fake) == sorted(shape(x) for x in real)
    assert "ar_model_latest.pth -> model_epoch_001_step_" in next(x for x in fake if "latest" in x)
