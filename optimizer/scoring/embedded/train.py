"""The training loop of the embedded scorer: epochs over an in-memory train split, evaluation on val after each."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from optimizer.scoring import metrics
from optimizer.scoring.embedded.data import VideoSplit


@dataclass(frozen=True)
class Evaluation:
    loss: float  # mean cross-entropy, unweighted
    predictions: np.ndarray
    labels: np.ndarray

    def confusion(self, num_classes: int) -> np.ndarray:
        return metrics.confusion_matrix(self.labels, self.predictions, num_classes)


def class_weights(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Inverse class frequency, scaled so a balanced split gets weight 1 everywhere; a class absent from train gets 0
    (nothing to learn it from, and a huge weight on nothing is meaningless).

    Why weights and not a class-balanced sampler: every clip is seen exactly once per epoch (no clip skipped or
    repeated by sampling luck, which is noisy on a few dozen videos), and adding synthetic clips to the rare class
    spreads that class's fixed share of the loss over more examples instead of inflating it. So a trial's gain comes
    from what the synthetic clips add, not from the rare class simply weighing more in training.
    """
    counts = torch.bincount(labels, minlength=num_classes).double()
    present = counts > 0
    weights = torch.zeros(num_classes, dtype=torch.double)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights.float()


def train_epoch(
    model: nn.Module,
    data: VideoSplit,
    optimizer: torch.optim.Optimizer,
    loss_fn: nn.Module,
    *,
    batch_size: int,
    generator: torch.Generator,
    device: torch.device,
) -> tuple[float, float]:
    """One pass over data in a seeded random order, with augmentation; returns (mean loss, accuracy)."""
    model.train()
    order = torch.randperm(len(data), generator=generator)
    # A trailing batch of one clip gives BatchNorm a degenerate batch statistic: fold it into the previous batch.
    bounds = list(range(0, len(data), batch_size))
    if len(bounds) > 1 and len(data) - bounds[-1] == 1:
        bounds.pop()
    total_loss, correct = 0.0, 0
    for i, start in enumerate(bounds):
        stop = bounds[i + 1] if i + 1 < len(bounds) else len(data)
        x, y = data.batch(order[start:stop], generator=generator, augment=True)
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss = loss_fn(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += int((logits.argmax(1) == y).sum())
    return total_loss / len(data), correct / len(data)


@torch.no_grad()
def evaluate(model: nn.Module, data: VideoSplit, *, batch_size: int, device: torch.device) -> Evaluation:
    model.eval()
    losses, predictions = [], []
    for start in range(0, len(data), batch_size):
        x, y = data.batch(range(start, min(start + batch_size, len(data))))
        logits = model(x.to(device))
        losses.append(nn.functional.cross_entropy(logits, y.to(device), reduction="sum").item())
        predictions.append(logits.argmax(1).cpu())
    return Evaluation(sum(losses) / len(data), torch.cat(predictions).numpy(), data.labels.numpy())


def cosine_lr(epoch: int, epochs: int, base: float, warmup: int = 1) -> float:
    """Linear warm-up over `warmup` epochs, then cosine decay to 5% of base (a from-scratch net on tiny data wants
    neither a cold start at full rate nor a last epoch that learns nothing)."""
    if epoch < warmup:
        return base * (epoch + 1) / (warmup + 1)
    progress = (epoch - warmup) / max(1, epochs - warmup - 1)
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


@contextlib.contextmanager
def reproducible(seed: int, threads: int | None, device: torch.device) -> Iterator[None]:
    """Seed torch, pin the thread count and ask for deterministic kernels, restoring the process-wide settings and the
    global RNG state after (the scorer runs inside a driver that may use torch for other things)."""
    saved_threads = torch.get_num_threads()
    saved_det = torch.are_deterministic_algorithms_enabled()
    saved_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    saved_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        try:
            if threads:
                torch.set_num_threads(threads)
            torch.manual_seed(seed)
            # warn_only: a kernel without a deterministic variant must not crash a trial; CPU convs are
            # deterministic for a fixed thread count anyway.
            torch.use_deterministic_algorithms(True, warn_only=True)
            if device.type == "cuda":
                torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
            yield
        finally:
            torch.set_num_threads(saved_threads)
            torch.use_deterministic_algorithms(saved_det, warn_only=saved_warn)
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved_cudnn
