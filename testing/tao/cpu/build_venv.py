"""Build NVIDIA's TAO action_recognition (nvidia-tao-pytorch 7.3.0) as a CPU venv for AutoSynthDa's real-TAO tests.

Not an NVIDIA-supported setup: the recipe is in ../shared/reference/TAO.md ("Observed from NVIDIA's own
action_recognition code"). Usage:

    python testing/tao/cpu/build_venv.py [--venv DIR] [--print-bin]

The venv goes to $AUTOSYNTHDA_TAO_VENV or ~/.cache/autosynthda/tao-venv. It is built once per recipe (a stamp holds
the hash of the pins, the shims and RECIPE_VERSION), in a temporary sibling folder that is renamed into place only
when complete.
`<venv>/autosynthda-bin` holds `action_recognition` and `python`: put it first on PATH for `--runtime local`.

Measured (2026-12, 2 CPU cores shared with other jobs, torch from the local CPU wheel, the rest from PyPI and the
local mirror): 427 s to build, 1.3 GB on disk; a current venv is found in under 0.5 s.

Exit codes: 0 ready (the last stdout line is the bin folder); 3 PyPI unreachable (one-line reason on stderr, tests skip
with it); 1 any other build failure (one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHIMS = HERE / "shims"
EXIT_OFFLINE = 3
STAMP = "autosynthda-recipe.txt"
BIN = "autosynthda-bin"

TAO_WHEEL = "nvidia-tao-pytorch==7.3.0"
TORCH = "torch==2.13.0"
TORCHVISION = "torchvision==0.28.0"
# The import closure of the action_recognition entry point, found by running it (TAO.md).
CLOSURE = [
    "pytorch-lightning",
    "torchmetrics",
    "hydra-core",
    "omegaconf",
    "pyyaml",
    "six",
    "marshmallow",
    "ruamel.yaml",
    "onnx",
    "onnxsim",
    "onnx-graphsurgeon",
    "pytest",
    "colorama",
    "termcolor",
    "wandb",
    "tensorboard",
]

WRAPPER = """#!/bin/sh
# AutoSynthDa: TAO's CPU venv, run with the CPU shims switched on and nothing sent to Weights & Biases.
here="$(cd "$(dirname "$0")" && pwd)"
export AUTOSYNTHDA_TAO_FORCE_CPU=1
export WANDB_MODE=disabled
export WANDB_DISABLED=true
exec "$here/../bin/python" {target}"$@"
"""


class BuildError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def default_venv() -> Path:
    configured = os.environ.get("AUTOSYNTHDA_TAO_VENV")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "autosynthda" / "tao-venv"


# Bump when the build steps change what ends up in the venv (the package pins and shims are hashed as they are).
RECIPE_VERSION = 1


def recipe_hash() -> str:
    """What the venv is made of: the pins, the wrapper scripts, the shims' source and RECIPE_VERSION. Not this file as
    a whole, so a change in how failures are reported does not rebuild 1.3 GB."""
    digest = hashlib.sha256()
    digest.update(repr((RECIPE_VERSION, TAO_WHEEL, TORCH, TORCHVISION, CLOSURE, WRAPPER)).encode())
    for path in sorted(SHIMS.rglob("*.py")):
        digest.update(str(path.relative_to(HERE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def find_python311() -> str:
    configured = os.environ.get("AUTOSYNTHDA_TAO_BASE_PYTHON")
    candidates = [configured] if configured else []
    candidates += sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.11*/bin/python3.11")), reverse=True)
    candidates += [shutil.which("python3.11") or ""]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BuildError("no Python 3.11 interpreter found (set AUTOSYNTHDA_TAO_BASE_PYTHON)")


def run(argv: list[str], what: str, *, timeout: float = 1800) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"{what}: timed out after {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()
        reason = next((line.strip() for line in reversed(tail) if "ERROR" in line or "rror" in line), "")
        reason = reason or (tail[-1].strip() if tail else f"exit {done.returncode}")
        raise BuildError(f"{what} failed: {reason}")
    return done.stdout


_NETWORK = ("NewConnectionError", "Failed to establish a new connection", "Name or service not known",
            "Temporary failure in name resolution", "Network is unreachable", "Connection refused", "timed out",
            "ProxyError", "SSLError")


def download_tao(python: str, into: Path) -> Path:
    """Fetch the TAO wheel first: it is the one piece only PyPI has, so it doubles as the reachability check."""
    argv = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
            "--timeout", "20", "--retries", "1", TAO_WHEEL, "-d", str(into)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        raise BuildError(f"PyPI unreachable: pip download {TAO_WHEEL} took over 900 s", EXIT_OFFLINE) from None
    wheels = sorted(into.glob("nvidia_tao_pytorch-*.whl"))
    if done.returncode == 0 and wheels:
        return wheels[0]
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    network = next((line for line in lines if any(n in line for n in _NETWORK)), None)
    if network is not None:
        raise BuildError(f"PyPI unreachable: pip download {TAO_WHEEL}: {network[:200]}", EXIT_OFFLINE)
    last = next((line for line in reversed(lines) if "ERROR" in line), lines[-1] if lines else "no output")
    raise BuildError(f"{TAO_WHEEL} not available from the package index: {last[:200]}", EXIT_OFFLINE)


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    if not found:
        raise BuildError(f"{venv}: no site-packages")
    return found[0]


def install_tao(wheel: Path, site: Path) -> None:
    unpacked = wheel.parent / "unpacked"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    for name in ("nvidia_tao_pytorch", "third_party"):
        shutil.copytree(unpacked / name, site / name)
    # The wheel's .so files are CUDA ops of other networks, built for CPython 3.12: action_recognition needs none.
    for so in [*site.joinpath("nvidia_tao_pytorch").rglob("*.so"), *site.joinpath("third_party").rglob("*.so")]:
        so.unlink()
    shutil.rmtree(unpacked)


def write_bin(venv: Path) -> Path:
    bin_dir = venv / BIN
    bin_dir.mkdir()
    scripts = {
        "python": "",
        "action_recognition": "-m nvidia_tao_pytorch.cv.action_recognition.entrypoint.action_recognition ",
    }
    for name, target in scripts.items():
        path = bin_dir / name
        path.write_text(WRAPPER.format(target=target))
        path.chmod(0o755)
    return bin_dir


def build(venv: Path) -> None:
    base = find_python311()
    parent = venv.parent
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{venv.name}.building-", dir=parent))
    try:
        target = work / "venv"
        downloads = work / "downloads"
        downloads.mkdir()
        wheel = download_tao(base, downloads)
        run([base, "-m", "venv", str(target)], "python3.11 -m venv")
        pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--timeout", "60"]
        # torch first, from the local CPU wheel; torchvision unpinned would drag in CUDA torch, so a constraints
        # file pins the torch just installed.
        run([*pip, TORCH], f"pip install {TORCH}")
        installed = run([str(target / "bin" / "python"), "-c", "import torch; print(torch.__version__)"],
                        "import torch").strip()
        constraints = work / "constraints.txt"
        constraints.write_text(f"torch=={installed}\n")
        run([*pip, "-c", str(constraints), TORCHVISION, *CLOSURE], "pip install torchvision and TAO's imports")
        site = site_packages(target)
        install_tao(wheel, site)
        shutil.copytree(SHIMS / "eff", site / "eff")
        shutil.copy2(SHIMS / "sitecustomize.py", site / "sitecustomize.py")
        write_bin(target)
        freeze = run([str(target / "bin" / "python"), "-m", "pip", "freeze"], "pip freeze")
        (target / "autosynthda-freeze.txt").write_text(freeze)
        check_import(target)
        (target / STAMP).write_text(recipe_hash() + "\n")
        if venv.exists():
            stale = Path(tempfile.mkdtemp(prefix=f".{venv.name}.stale-", dir=parent))
            venv.rename(stale / "venv")
            shutil.rmtree(stale, ignore_errors=True)
        target.rename(venv)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_import(venv: Path) -> None:
    """The entry point must import (eff shim, torchvision schemas) before the venv counts as built."""
    python = str(venv / BIN / "python")
    code = "import nvidia_tao_pytorch.cv.action_recognition.scripts.train, torchvision, pytorch_lightning"
    run([python, "-c", code], "import TAO's action_recognition in the new venv", timeout=300)


def is_current(venv: Path) -> bool:
    stamp = venv / STAMP
    return stamp.is_file() and stamp.read_text().strip() == recipe_hash() and (venv / BIN / "python").exists()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=None, help="where the venv goes (default: $AUTOSYNTHDA_TAO_VENV)")
    args = parser.parse_args(argv)
    venv = (args.venv or default_venv()).expanduser().resolve()
    if not is_current(venv):
        started = time.monotonic()
        print(f"tao-venv: building {venv} (several minutes, about 1.3 GB)", file=sys.stderr, flush=True)
        try:
            build(venv)
        except BuildError as exc:
            print(f"tao-venv: {exc}", file=sys.stderr)
            return exc.code
        print(f"tao-venv: built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(venv / BIN)
    return 0


if __name__ == "__main__":
    sys.exit(main())
