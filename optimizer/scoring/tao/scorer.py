"""TaoScorer: each trial trains TAO action_recognition on the trial's train split (val for the curve), evaluates the
final checkpoint on the REAL test split and reads the result from TAO's files, not from its exit code.

Per trial, under <trial>/tao/ (kept as the trial's artifacts; checkpoints deleted unless keep_checkpoints):
    results/            the fresh results dir, mounted read-write: results/train/..., results/evaluate/...
    train.log           everything train printed (secrets masked), evaluate.log likewise
    train_spec.yaml     the spec TAO read, encryption key masked; evaluate_spec.yaml likewise
The spec TAO reads (key included) lives only in a private temporary folder for the duration of the run.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generation.dataset import LayoutError, check_tao_layout
from optimizer.scoring import metrics
from optimizer.scoring.protocol import ReportFn, ScoreResult, ScoringError, ScoringPruned, TrialDataset
from optimizer.scoring.tao.checks import check_final_epoch, check_run, final_checkpoint
from optimizer.scoring.tao.config import TaoConfig
from optimizer.scoring.tao.docker_runtime import DockerRuntime, container_name
from optimizer.scoring.tao.errors import (
    Redactor,
    TaoResultError,
    TaoResultsDirInUse,
    TaoTimeout,
    TaoUnavailable,
    log_tail,
    tail_text,
)
from optimizer.scoring.tao.inference import infer_confusion, with_confusion
from optimizer.scoring.tao.orphans import private_spec_dir
from optimizer.scoring.tao.results import EpochTracker, StatusTail, evaluate_kpi, parse_evaluate_stdout, read_status
from optimizer.scoring.tao.runtimes import EXECUTABLE, ApptainerRuntime, Job, LocalRuntime, Mount, Runtime
from optimizer.scoring.tao.spec import SpecValues, Task, build_spec, render_spec

CHECKPOINT_SUFFIXES = (".pth", ".tlt", ".ckpt", ".engine")
KEPT_TEXT = (".json", ".yaml", ".yml", ".log", ".txt", ".csv")
SPLITS = ("train", "val", "test")


def make_runtime(cfg: TaoConfig) -> Runtime:
    if cfg.runtime == "docker":
        return DockerRuntime(cfg.image, cfg.gpus, cfg.shm_size, cfg.stop_grace_s)
    if cfg.runtime == "apptainer":
        return ApptainerRuntime(cfg.image, cfg.gpus, cfg.stop_grace_s)
    return LocalRuntime(cfg.gpus, cfg.stop_grace_s)


@dataclass
class _Run:
    seconds: float
    log: str
    epochs: list[dict[str, float]] = field(default_factory=list)


@dataclass
class TaoScorer:
    """Scorer protocol over TAO. report(epoch, val_acc) is called as each epoch's val_acc (a fraction) appears in
    train/status.json; True stops the run and raises ScoringPruned."""

    settings: TaoConfig
    study: str
    runtime: Runtime
    poll_max_s: float = 2.0

    @classmethod
    def from_config(cls, settings: TaoConfig, *, study: str) -> TaoScorer:
        return cls(settings, study, make_runtime(settings))

    def preflight(self) -> None:
        """Everything that would fail every trial, checked once before the first: runtime, image, model, key."""
        self.runtime.preflight()
        model = self.settings.pretrained_model_path
        if model is not None and not model.is_file():
            raise TaoUnavailable(f"scorer.tao.pretrained_model_path: {model} does not exist")
        self._key()

    def _key(self) -> str | None:
        name = self.settings.encryption_key_env
        if name is None:
            return None
        value = os.environ.get(name)
        if not value:
            raise TaoUnavailable(f"scorer.tao.encryption_key_env: environment variable {name} is not set")
        return value

    def score(self, dataset: TrialDataset, *, seed: int, report: ReportFn | None = None) -> ScoreResult:
        s = self.settings
        work = dataset.root / "tao"
        results = work / "results"
        _require_fresh(results)
        test_counts = _check_layout(dataset, s)
        key = self._key()
        redact = Redactor([key])
        results.mkdir(parents=True, exist_ok=True)
        mounts = {split: Mount(dataset.split_dir(split), f"/data/{split}") for split in SPLITS}
        mounts["results"] = Mount(results, "/results", read_only=False)
        if s.pretrained_model_path is not None:
            model = s.pretrained_model_path.resolve()
            mounts["model"] = Mount(model, f"/pretrained/{model.name}")
        # ids as the container numbers them; "none" (CPU) still tells TAO one device, which it runs on the CPU
        gpu_ids = tuple(range(len(s.gpus))) if isinstance(s.gpus, list) else (0,)
        values = SpecValues(
            label_map=dict(dataset.label_map),
            **{f"{split}_dir": self.runtime.path(mounts[split]) for split in SPLITS},
            results_dir=self.runtime.path(mounts["results"]),
            epochs=s.epochs, batch_size=s.batch_size, rgb_seq_length=s.rgb_seq_length, input_size=s.input_size,
            seed=seed, gpu_ids=gpu_ids,
            pretrained_model_path=self.runtime.path(mounts["model"]) if "model" in mounts else None,
            pretrained_num_classes=s.pretrained_num_classes, overrides=dict(s.spec_overrides),
        )
        # mkdtemp makes the folder 0700: the spec holding the key is readable by this user only, and goes with it
        # (a killed driver's folder goes at the next start: orphans.private_spec_dir).
        with private_spec_dir() as private:
            mounts["specs"] = Mount(private, "/specs")
            try:
                train = self._run("train", values, dataset, mounts, work, key, redact, report)
                checkpoint = final_checkpoint(results / "train", CHECKPOINT_SUFFIXES)
                if checkpoint is None:
                    raise TaoResultError("train: finished but left no checkpoint under results/train",
                                         log_tail=log_tail(work / "train.log"))
                check_final_epoch(checkpoint, s.epochs, read_status(results / "train" / "status.json"),
                                  log_tail(work / "train.log"))
                in_container = f"{values.results_dir}/{checkpoint.path.relative_to(results).as_posix()}"
                values = replace(values, checkpoint=in_container)
                evaluation = self._run("evaluate", values, dataset, mounts, work, key, redact, None)
                result = self._result(dataset, train, evaluation, checkpoint.path.relative_to(work), checkpoint.epoch,
                                      results, test_counts)
                if s.confusion:
                    result = self._with_inference(result, values, dataset, mounts, work, key, redact)
                return result
            finally:
                _tidy(work, redact, keep_checkpoints=s.keep_checkpoints)

    def _with_inference(self, result: ScoreResult, values: SpecValues, dataset: TrialDataset,
                        mounts: dict[str, Mount], work: Path, key: str | None, redact: Redactor) -> ScoreResult:
        """scorer.tao.confusion: inference with evaluate's checkpoint, once per class folder of the test split."""

        def run(folder: str) -> str:
            (mounts["results"].host / "inference" / "status.json").unlink(missing_ok=True)  # appended to by each run
            inferred = replace(values, inference_dir=folder)
            return self._run("inference", inferred, dataset, mounts, work, key, redact, None).log

        return with_confusion(result, infer_confusion(dataset, values.test_dir, run, work))

    def _run(self, task: Task, values: SpecValues, dataset: TrialDataset, mounts: dict[str, Mount], work: Path,
             key: str | None, redact: Redactor, report: ReportFn | None) -> _Run:
        spec = build_spec(task, values, encryption_key=key)
        private = mounts["specs"].host / f"{task}.yaml"
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(render_spec(spec, redact=False))
        (work / f"{task}_spec.yaml").write_text(render_spec(spec))
        results_path = self.runtime.path(mounts["results"])
        job = Job(
            name=container_name(self.study, dataset.root.name, task),
            argv=(EXECUTABLE, task, "-e", f"{self.runtime.path(mounts['specs'])}/{task}.yaml",
                  f"results_dir={results_path}"),
            mounts=tuple(mounts.values()),
            log_path=work / f"{task}.log",
            labels={"autosynthda.study": self.study, "autosynthda.trial": dataset.root.name,
                    "autosynthda.task": task},
            workdir=results_path,
            redact=redact,
        )
        status_path = mounts["results"].host / task / "status.json"
        tail, tracker = StatusTail(status_path), EpochTracker()
        started = time.monotonic()
        stopped: ScoringPruned | str | None = None
        handle = self.runtime.start(job)
        try:
            delay = 0.05
            while True:
                code = handle.poll()  # before reading the tail: once it has exited, this read sees every line
                for epoch, value in tracker.feed(tail.read()):
                    if report is not None and report(epoch, value):
                        stopped = ScoringPruned(epoch, value)
                        break
                if stopped is not None or code is not None:
                    break
                if time.monotonic() - started > self.settings.timeout_s:
                    stopped = "timeout"
                    break
                time.sleep(delay)
                delay = min(delay * 1.5, self.poll_max_s)
        finally:
            ended = handle.close()
        seconds = time.monotonic() - started
        log = job.log_path.read_text(errors="replace") if job.log_path.is_file() else ""
        last_lines = tail_text(log)
        if isinstance(stopped, ScoringPruned):
            raise stopped
        if stopped == "timeout":
            raise TaoTimeout(f"{task}: still running after {self.settings.timeout_s:g} s (scorer.tao.timeout_s): "
                             f"stopped and removed", log_tail=last_lines)
        check_run(task, ended, log, read_status(status_path), last_lines)
        return _Run(seconds, log, tracker.history())

    def _result(self, dataset: TrialDataset, train: _Run, evaluation: _Run, checkpoint: Path, epoch: int | None,
                results: Path, test_counts: dict[str, int]) -> ScoreResult:
        classes = dataset.classes
        stdout = parse_evaluate_stdout(evaluation.log, classes)
        kpi = evaluate_kpi(read_status(results / "evaluate" / "status.json") or [])
        source = "status.json"
        if kpi is None and stdout.total is not None:
            kpi, source = (stdout.total, math.nan if stdout.average is None else stdout.average), "stdout"
        if kpi is None:
            raise TaoResultError("evaluate: no accuracy in evaluate/status.json nor `Total accuracy:` in its output",
                                 log_tail=tail_text(evaluation.log))
        correct = _correct_counts(stdout.per_class, test_counts)
        recall = {c: (correct[c] / n if correct[c] is not None else stdout.per_class.get(c, math.nan) / 100)
                  if (n := test_counts[c]) else math.nan for c in classes}
        accuracy, mean_class = kpi[0] / 100, kpi[1] / 100
        known = [c for c in classes if correct[c] is not None]
        if len(known) == len(classes) and sum(test_counts.values()):
            exact = sum(correct[c] for c in classes) / sum(test_counts.values())
            exact_mean = sum(correct[c] / test_counts[c] if test_counts[c] else 0.0 for c in classes) / len(classes)
            if abs(exact - accuracy) < 1.5e-5 and abs(exact_mean - mean_class) < 1.5e-5:  # TAO rounds to 3 dp
                accuracy, mean_class = exact, exact_mean  # the same numbers, without the rounding
        confusion: list[list[int]] = []
        f1 = {c: math.nan for c in classes}
        if len(classes) == 2 and len(known) == 2:
            (a, b) = classes
            ca, cb = correct[a] or 0, correct[b] or 0
            confusion = [[ca, test_counts[a] - ca], [test_counts[b] - cb, cb]]
            f1 = {c: float(v) for c, v in zip(classes, metrics.per_class_f1(confusion))}
        history = train.epochs
        best = next((i for i, e in enumerate(history) if e["epoch"] == epoch), len(history) - 1)
        s = self.settings
        info: dict[str, Any] = {
            "scorer": "tao", "runtime": self.runtime.name, "image": None if s.runtime == "local" else s.image,
            "epochs": s.epochs, "batch_size": s.batch_size, "rgb_seq_length": s.rgb_seq_length,
            "input_size": s.input_size, "checkpoint": str(checkpoint), "checkpoint_epoch": epoch,
            "kpi_source": source, "tao_accuracy_percent": kpi[0], "tao_m_accuracy_percent": kpi[1],
            "test_videos": test_counts, "correct_per_class": correct,
            "confusion": "reconstructed from per-class recall and test counts (2 classes)" if confusion else
            "unknown: TAO prints per-class recall, not the matrix; per_class_f1 is NaN",
            "artifacts": str(results.parent),
        }
        return ScoreResult(
            accuracy=accuracy, mean_class_accuracy=mean_class, per_class_recall=recall, per_class_f1=f1,
            confusion=confusion, classes=classes, target_class=dataset.target_class, loss=math.nan,
            train_seconds=train.seconds, eval_seconds=evaluation.seconds, epochs=history, best_epoch=best, info=info,
        )


def _correct_counts(per_class_pct: dict[str, float], test_counts: dict[str, int]) -> dict[str, int | None]:
    """Correct test videos per class, recovered from evaluate's per-class percentages (printed with 4 significant
    digits) and the test split's counts; None where the two do not agree (or the line is missing)."""
    out: dict[str, int | None] = {}
    for c, n in test_counts.items():
        pct = per_class_pct.get(c, math.nan)
        k = round(pct / 100 * n) if n and math.isfinite(pct) else None
        out[c] = k if k is not None and abs(k / n * 100 - pct) <= 0.05 else None
    return out


def _require_fresh(results: Path) -> None:
    """TAO resumes from any *_latest.pth in its results dir: a reused one would "pass" without training."""
    if not results.exists():
        return
    checkpoints = [p for p in results.rglob("*") if p.suffix in CHECKPOINT_SUFFIXES]
    if checkpoints:
        raise TaoResultsDirInUse(f"{results}: holds checkpoints ({checkpoints[0].name}, ...): TAO would resume from "
                                 f"them instead of training; every trial needs a fresh results dir")
    if any(results.iterdir()):
        raise TaoResultsDirInUse(f"{results}: not empty: TAO appends to status.json, a stale one would be misread")


def _check_layout(dataset: TrialDataset, s: TaoConfig) -> dict[str, int]:
    """TAO's own rules, before a container starts (its errors come minutes later, inside a log)."""
    try:
        for split in ("train", "val"):
            check_tao_layout(dataset.split_dir(split), dataset.label_map, rgb_seq_length=s.rgb_seq_length,
                             batch_size=s.batch_size, open_frames=False)
        report = check_tao_layout(dataset.split_dir("test"), dataset.label_map, rgb_seq_length=s.rgb_seq_length,
                                  open_frames=False)
    except LayoutError as exc:
        raise ScoringError(f"TAO dataset check: {exc} (scorer.tao.batch_size {s.batch_size})") from None
    return dict(report.videos_per_class)


def _tidy(work: Path, redact: Redactor, *, keep_checkpoints: bool) -> None:
    """Drop checkpoints and mask secrets in every other kept file: TAO writes its resolved config (key included) to
    experiment.yaml, and loggers may copy it into files of their own."""
    for path in sorted(work.rglob("*")):
        if path.suffix in CHECKPOINT_SUFFIXES:
            if not keep_checkpoints:
                path.unlink(missing_ok=True)
        elif path.is_file():
            redact.file(path, text=path.suffix in KEPT_TEXT)
    for path in sorted(work.rglob("*"), reverse=True):  # folders only checkpoints lived in
        if path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path, ignore_errors=True)
