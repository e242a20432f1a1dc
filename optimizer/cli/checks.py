"""Checks a command makes on its options before it creates anything: a bad --device or --out fails in
milliseconds with one line, instead of after the study's storage, pair bank or first trials exist."""

from __future__ import annotations

from optimizer.config import ConfigError

DEVICES = "auto, cpu, cuda or cuda:N"


def check_device(device: str, option: str = "--device") -> str:
    """A device this machine has: auto, cpu, or a CUDA device that exists (torch would only fail at first use)."""
    import torch

    text = device.strip().lower()
    if text in ("auto", "cpu"):
        return device
    kind, colon, index = text.partition(":")
    if kind != "cuda" or (colon and not index.isdigit()):
        raise ConfigError(f"{option}: unknown device {device!r} (known: {DEVICES})")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise ConfigError(f"{option}: {device}: this machine has no CUDA device (use cpu or auto)")
    if colon and int(index) >= count:
        raise ConfigError(f"{option}: {device}: no such CUDA device (this machine has cuda:0 to cuda:{count - 1})")
    return device


def check_gpu(gpu: int | None) -> None:
    """A worker's --gpu N renders and trains on cuda:N here, so this machine must have it."""
    if gpu is not None and gpu >= 0:  # a negative id is reported by study_config
        check_device(f"cuda:{gpu}", "--gpu")
