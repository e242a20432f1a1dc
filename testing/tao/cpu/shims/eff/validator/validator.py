from __future__ import annotations

from eff import _unavailable

validate_metadata = _unavailable("eff.validator.validator.validate_metadata")
