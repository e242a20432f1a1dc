"""Reusable scratch buffers for the rasteriser's big per-pair tensors.

On CPU, glibc serves every allocation above its mmap threshold with fresh pages: a chunk's dozen multi-megabyte
temporaries then cost more in page faults than in arithmetic (the renderer ran 2x faster with the allocator
tuned). Reusing the same buffers chunk after chunk, and call after call on the same thread, avoids that. CUDA's
caching allocator already reuses memory, so scratch is kept only for CPU tensors.
"""

from __future__ import annotations

import math
import threading

import torch

_GROWTH = 1.25
_local = threading.local()


class Scratch:
    """Named flat buffers handed out as views; a buffer grows (never shrinks) when a request does not fit."""

    def __init__(self) -> None:
        self._buffers: dict[str, torch.Tensor] = {}

    def take(self, name: str, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        numel = math.prod(shape)
        buf = self._buffers.get(name)
        if buf is None or buf.numel() < numel or buf.dtype != dtype or buf.device != device:
            buf = torch.empty(int(numel * _GROWTH) + 4096, dtype=dtype, device=device)
            self._buffers[name] = buf
        return buf[:numel].view(shape)


def scratch_for(device: torch.device) -> Scratch:
    """The calling thread's CPU scratch (kept between calls), or a throwaway one for other devices."""
    if device.type != "cpu":
        return Scratch()
    if not hasattr(_local, "scratch"):
        _local.scratch = Scratch()
    return _local.scratch
