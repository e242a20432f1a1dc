"""Marker for the stand-in's `python` (tests/optimizer/scoring/tao/conftest.py): the local runtime's preflight checks that
the `python` on PATH imports nvidia_tao_pytorch, as TAO's entrypoint runs its tasks with it. Nothing else is here."""
