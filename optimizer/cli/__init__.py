"""The `autosynthda` command line (Typer)."""

from optimizer.cli.app import app, main

__all__ = ["app", "main"]
