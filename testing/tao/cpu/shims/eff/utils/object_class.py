from __future__ import annotations

from eff import _unavailable

generate_obj_cls = _unavailable("eff.utils.object_class.generate_obj_cls")
