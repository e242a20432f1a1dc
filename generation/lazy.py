"""Lazy re-exports for package __init__ files: a name is imported from its module when first used, so importing a
light part of a package (a settings type, an error) does not pay for its heavy parts (torch, MLflow)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(__getattr__, __dir__) for a package whose `exports` maps each public name to the module defining it."""

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module-level hook PEP 562 names
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name]), name)

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(exports)

    return __getattr__, __dir__
