from __future__ import annotations

from eff import _unavailable_class

Expression = _unavailable_class("eff.validator.conditions.Expression")
