"""Stand-in for NVIDIA's obfuscated nvidia-eff (no wheel for Python 3.11/3.12): test code of AutoSynthDa.

TAO's action_recognition imports these names, and builds a few condition objects, at import time only. Every use
beyond that raises: a spec with an encryption_key or an encrypted .tlt model fails loudly instead of being read
wrongly (encryption_key must be null).
"""

from __future__ import annotations


class EffShimError(RuntimeError):
    """Raised by every shim function and class attribute: the real nvidia-eff is not installed."""


def _message(name: str) -> str:
    return f"{name}: nvidia-eff is not installed (AutoSynthDa CPU test shim); encryption_key must be null"


def _unavailable(name: str):
    def fail(*args, **kwargs):
        raise EffShimError(_message(name))

    fail.__name__ = name.rsplit(".", 1)[-1]
    return fail


class _UnavailableType(type):
    """Class attributes (Archive.create, ...) raise; building an instance is allowed (TAO declares conditions such
    as Expression(operator.eq, 1) at import time), using one is not."""

    def __getattr__(cls, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)  # hasattr() probes of Python itself (copy, pickle, dataclasses)
        raise EffShimError(_message(f"{cls.__qualname__}.{attr}"))


def _unavailable_class(name: str) -> type:
    def __init__(self, *args, **kwargs):
        self._args = args

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise EffShimError(_message(f"{name}.{attr}"))

    def __call__(self, *args, **kwargs):
        raise EffShimError(_message(name))

    short = name.rsplit(".", 1)[-1]
    return _UnavailableType(short, (), {"__init__": __init__, "__getattr__": __getattr__, "__call__": __call__,
                                        "__qualname__": name})
