"""A small R(2+1)D video classifier (Tran et al. 2018): every 3D conv factorised into a spatial 1x3x3 conv and a
temporal 3x1x1 conv, each followed by BatchNorm and ReLU.

Sized for a CPU (252,332 parameters with the default widths and 4 classes, see `parameter_count`): enough to tell a
handful of rendered actions apart in tens of seconds, far from TAO's ResNet, whose scores this approximates, not
reproduces.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class Conv2Plus1D(nn.Sequential):
    """Spatial then temporal conv with BN+ReLU after each; `mid` channels between them."""

    def __init__(self, cin: int, cout: int, *, mid: int | None = None, spatial_stride: int = 1,
                 temporal_stride: int = 1) -> None:
        mid = mid or cout
        super().__init__(
            nn.Conv3d(cin, mid, (1, 3, 3), stride=(1, spatial_stride, spatial_stride), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(mid),
            nn.ReLU(inplace=True),
            nn.Conv3d(mid, cout, (3, 1, 1), stride=(temporal_stride, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(cout),
            nn.ReLU(inplace=True),
        )


class ResidualBlock(nn.Module):
    """Two (2+1)D convs with an identity (or 1x1x1 projection) shortcut: the shortcut keeps a deep-ish net trainable
    from scratch on a few dozen clips."""

    def __init__(self, cin: int, cout: int, *, spatial_stride: int = 1, temporal_stride: int = 1) -> None:
        super().__init__()
        self.first = Conv2Plus1D(cin, cout, spatial_stride=spatial_stride, temporal_stride=temporal_stride)
        self.second = nn.Sequential(
            nn.Conv3d(cout, cout, (1, 3, 3), padding=(0, 1, 1), bias=False),
            nn.BatchNorm3d(cout),
            nn.ReLU(inplace=True),
            nn.Conv3d(cout, cout, (3, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(cout),
        )
        stride = (temporal_stride, spatial_stride, spatial_stride)
        if cin != cout or stride != (1, 1, 1):
            self.shortcut: nn.Module = nn.Sequential(
                nn.Conv3d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm3d(cout)
            )
        else:
            self.shortcut = nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.second(self.first(x)) + self.shortcut(x))


class R2Plus1DNet(nn.Module):
    """stem (stride 2 in space) -> one residual stage per width (stride 2 in space, and in time from the second stage)
    -> global average pool -> dropout -> linear. Input (B, 3, T, H, W), output logits (B, num_classes)."""

    def __init__(self, num_classes: int, widths: Sequence[int] = (16, 32, 64, 80), dropout: float = 0.3) -> None:
        super().__init__()
        self.stem = Conv2Plus1D(3, widths[0], mid=max(8, widths[0] // 2), spatial_stride=2)
        stages = []
        for i, (cin, cout) in enumerate(zip(widths[:-1], widths[1:])):
            stages.append(ResidualBlock(cin, cout, spatial_stride=2, temporal_stride=1 if i == 0 else 2))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool3d(1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(widths[-1], num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        # Each residual branch starts as (almost) nothing: the net begins close to its shortcuts, which trains
        # faster from scratch (Goyal et al. 2017).
        for m in self.modules():
            if isinstance(m, ResidualBlock):
                nn.init.zeros_(m.second[-1].weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.head(self.dropout(self.pool(x).flatten(1)))


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
