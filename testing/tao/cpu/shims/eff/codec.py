from __future__ import annotations

from eff import _unavailable

encrypt_stream = _unavailable("eff.codec.encrypt_stream")
decrypt_stream = _unavailable("eff.codec.decrypt_stream")
get_random_encryption = _unavailable("eff.codec.get_random_encryption")
