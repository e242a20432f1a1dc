"""The driver's one-line user error (the command line prints it and exits 2)."""

from __future__ import annotations

from generation.errors import AutoSynthDaError


class ConfigError(AutoSynthDaError, ValueError):
    """A study config, command-line option or storage that cannot be used."""
