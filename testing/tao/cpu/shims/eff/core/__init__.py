from __future__ import annotations

from eff.core.archive import Archive

__all__ = ["Archive"]
