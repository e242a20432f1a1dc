"""EmbeddedScorer: the in-process torch scorer for machines without a GPU or Docker (TAO is the real thing)."""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass

import torch
from torch import nn

from optimizer.scoring import metrics
from optimizer.scoring.embedded.data import list_videos, load_split
from optimizer.scoring.embedded.model import R2Plus1DNet, parameter_count
from optimizer.scoring.embedded.train import class_weights, cosine_lr, evaluate, reproducible, train_epoch
from optimizer.scoring.protocol import METRICS, ReportFn, ScoreResult, ScoringError, ScoringPruned, TrialDataset


@dataclass(frozen=True)
class EmbeddedScorer:
    """Train a small R(2+1)D net from scratch on train/, keep the weights of the epoch with the best val `select`
    metric (ties: the lower val loss, then the earlier epoch), score them on test/.

    Class imbalance is handled with inverse-frequency class weights in the loss (see train.class_weights for why not a
    sampler). Augmentation: random horizontal flip and, with temporal_pool > 1, a random temporal start.
    report(epoch, value) gets the 0-based epoch and the val `select` metric after every epoch.

    Same dataset, seed, settings and thread count give the same result on a CPU. threads=None leaves torch's thread
    count as it is; device="auto" takes CUDA when there is one.
    """

    epochs: int = 30
    frames: int = 16
    size: int = 64
    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    threads: int | None = None
    device: str = "auto"
    widths: tuple[int, ...] = (16, 32, 64, 80)
    dropout: float = 0.3
    temporal_pool: int = 2
    select: str = "mean_class_accuracy"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.weight_decay < 0:
            raise ScoringError(
                f"embedded scorer: epochs, batch_size must be >= 1, lr > 0, weight_decay >= 0; got {self.epochs}, "
                f"{self.batch_size}, {self.lr}, {self.weight_decay}"
            )
        if self.select not in METRICS:
            expected = ", ".join(METRICS)
            raise ScoringError(f"embedded scorer: select: unknown {self.select!r}, expected one of {expected}")
        if len(self.widths) < 2:
            raise ScoringError(f"embedded scorer: widths: need at least 2 stages, got {self.widths}")

    def torch_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def build_model(self, num_classes: int) -> R2Plus1DNet:
        return R2Plus1DNet(num_classes, self.widths, self.dropout)

    def score(self, dataset: TrialDataset, *, seed: int, report: ReportFn | None = None) -> ScoreResult:
        device = self.torch_device()
        classes = dataset.classes
        n = len(classes)
        started = time.perf_counter()
        read = dict(frames=self.frames, size=self.size, pool=self.temporal_pool, threads=self.threads)
        list_videos(dataset.split_dir("test"), dataset.label_map)  # a broken test split fails now, not after training
        train = load_split(dataset.split_dir("train"), dataset.label_map, **read)
        val = load_split(dataset.split_dir("val"), dataset.label_map, **read)
        with reproducible(seed, self.threads, device):
            generator = torch.Generator().manual_seed(seed)
            model = self.build_model(n).to(device)
            optimizer = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            loss_fn = nn.CrossEntropyLoss(weight=class_weights(train.labels, n).to(device))
            history: list[dict[str, float]] = []
            best: tuple[float, float, int] | None = None  # (-selection value, val loss, epoch)
            best_state: dict[str, torch.Tensor] = {}
            for epoch in range(self.epochs):
                for group in optimizer.param_groups:
                    group["lr"] = cosine_lr(epoch, self.epochs, self.lr)
                tick = time.perf_counter()
                train_loss, train_acc = train_epoch(model, train, optimizer, loss_fn, batch_size=self.batch_size,
                                                    generator=generator, device=device)
                ev = evaluate(model, val, batch_size=self.batch_size * 2, device=device)
                conf = ev.confusion(n)
                value = _select_value(self.select, conf, classes, dataset.target_class)
                history.append({
                    "epoch": epoch, "train_loss": train_loss, "train_acc": train_acc, "val_loss": ev.loss,
                    "val_acc": metrics.accuracy(conf), "val_mean_class_accuracy": metrics.mean_class_accuracy(conf),
                    f"val_{self.select}": value, "lr": optimizer.param_groups[0]["lr"],
                    "seconds": time.perf_counter() - tick,
                })
                key = (-_finite(value), ev.loss, epoch)
                if best is None or key < best:
                    best = key
                    best_state = copy.deepcopy(model.state_dict())
                if report is not None and report(epoch, value):
                    raise ScoringPruned(epoch, value)
            train_seconds = time.perf_counter() - started
            tick = time.perf_counter()
            model.load_state_dict(best_state)
            test = load_split(dataset.split_dir("test"), dataset.label_map, **read)
            ev = evaluate(model, test, batch_size=self.batch_size * 2, device=device)
            eval_seconds = time.perf_counter() - tick
        assert best is not None
        info = {"scorer": "embedded", **asdict(self), "seed": seed, "device": str(device),
                "parameters": parameter_count(model), "videos": {"train": len(train), "val": len(val),
                                                                 "test": len(test)}}
        return ScoreResult.from_predictions(
            ev.labels, ev.predictions, classes, dataset.target_class, loss=ev.loss, train_seconds=train_seconds,
            eval_seconds=eval_seconds, epochs=history, best_epoch=best[2], info=info,
        )


def _select_value(name: str, conf, classes: list[str], target: str) -> float:
    if name == "mean_class_accuracy":
        return metrics.mean_class_accuracy(conf)
    if name == "accuracy":
        return metrics.accuracy(conf)
    i = classes.index(target)
    return float((metrics.per_class_recall(conf) if name == "target_recall" else metrics.per_class_f1(conf))[i])


def _finite(value: float) -> float:
    return value if value == value else float("-inf")  # NaN (undefined on this val split) never wins
