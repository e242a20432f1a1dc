from __future__ import annotations

from eff import _unavailable

encrypt_stream = _unavailable("eff.core.codec.encrypt_stream")
decrypt_stream = _unavailable("eff.core.codec.decrypt_stream")
