"""testing/tao/cpu/build_venv.py without PyPI: exit 3 and one line saying why (the real_tao tests skip with it),
nothing left behind. Its success is what the real_tao lane (test_real_tao.py) stands on."""

from __future__ import annotations

import os
import subprocess
import sys

from optimizer.config import REPO

BUILDER = REPO / "testing" / "tao" / "cpu" / "build_venv.py"


def test_unreachable_pypi_is_exit_3_with_a_one_line_reason(tmp_path):
    venv = tmp_path / "cache" / "tao-venv"
    env = {**os.environ, "AUTOSYNTHDA_TAO_VENV": str(venv), "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
           "PIP_EXTRA_INDEX_URL": "", "PIP_FIND_LINKS": "", "PIP_NO_CACHE_DIR": "1"}
    done = subprocess.run([sys.executable, str(BUILDER)], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 3, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("tao-venv: PyPI unreachable: pip download nvidia-tao-pytorch==7.3.0: "), last
    assert "NewConnectionError" in last
    assert done.stdout == "" and not venv.exists() and list(venv.parent.iterdir()) == []
