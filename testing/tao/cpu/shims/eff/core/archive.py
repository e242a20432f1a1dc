from __future__ import annotations

from eff import _unavailable_class

Archive = _unavailable_class("eff.core.archive.Archive")
