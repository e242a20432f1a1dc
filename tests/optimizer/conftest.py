from __future__ import annotations

import subprocess
import sys

import pytest


def run_cli(*args) -> subprocess.CompletedProcess:
    """The console command as a user runs it: a subprocess, stdout and stderr captured."""
    return subprocess.run([sys.executable, "-m", "optimizer.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture
def autosynthda():
    return run_cli
