from __future__ import annotations

from eff import _unavailable_class

BinaryContentCallback = _unavailable_class("eff.callbacks.BinaryContentCallback")
StringContentCallback = _unavailable_class("eff.callbacks.StringContentCallback")
