"""Fixtures for the TAO scorer tests: the stand-in `action_recognition` on PATH, and tiny trial datasets.

The stand-in (standin/action_recognition) keeps TAO's command-line, file and output contract but trains nothing:
see its docstring. The Docker path is tested by the request it would send (no daemon here).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from PIL import Image

from optimizer.scoring import TrialDataset
from optimizer.scoring.tao import TaoConfig, TaoScorer
from optimizer.scoring.tao.runtimes import LocalRuntime

STANDIN = Path(__file__).resolve().parent / "standin" / "action_recognition"
STANDIN_ENV = ("TAO_STANDIN_FAIL", "TAO_STANDIN_FAIL_TASK", "TAO_STANDIN_FAIL_MATCH", "TAO_STANDIN_UNKNOWN_KEYS",
               "TAO_STANDIN_EPOCH_S", "TAO_STANDIN_PIDFILE")


@pytest.fixture
def standin(tmp_path_factory, monkeypatch) -> Path:
    """Put the stand-in first on PATH (this interpreter's folder next, so its `python3` has PyYAML)."""
    bin_dir = tmp_path_factory.mktemp("standin-bin")
    exe = bin_dir / "action_recognition"
    shutil.copy(STANDIN, exe)  # a copy, so a checkout that lost the executable bit still works
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # TAO runs its tasks with the `python` on PATH, and the local runtime's preflight checks that it imports
    # nvidia_tao_pytorch: the stand-in's `python` is this interpreter with an empty marker package of that name.
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nPYTHONPATH="{STANDIN.parent / "site"}${{PYTHONPATH:+:$PYTHONPATH}}" '
                      f'exec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))
    for name in STANDIN_ENV:
        monkeypatch.delenv(name, raising=False)
    return exe


def write_split(root: Path, videos: dict[str, int], frames: int = 4) -> None:
    """<root>/<class>/<class>_<i>/rgb/000000.png ...: tiny real PNGs (the stand-in reads folders, not pixels)."""
    img = Image.new("RGB", (8, 8), (128, 128, 128))
    for label, count in videos.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            rgb = root / label / f"{label}_{i:02d}" / "rgb"
            rgb.mkdir(parents=True)
            for f in range(frames):
                img.save(rgb / f"{f:06d}.png")


def make_trial(root: Path, train: dict[str, int], val: dict[str, int], test: dict[str, int],
               target: str = "fall") -> TrialDataset:
    for split, videos in (("train", train), ("val", val), ("test", test)):
        write_split(root / split, videos)
    return TrialDataset(root, {label: i for i, label in enumerate(sorted(train))}, target)


@pytest.fixture
def trial(tmp_path) -> TrialDataset:
    """A 2-class trial: more walk than fall videos in train, so the stand-in's fall recall is lower."""
    return make_trial(tmp_path / "00007", {"fall": 3, "walk": 6}, {"fall": 2, "walk": 2}, {"fall": 3, "walk": 3})


@pytest.fixture
def trial4(tmp_path) -> TrialDataset:
    classes = ("fall", "jump", "punch", "walk")
    return make_trial(tmp_path / "00003", dict(zip(classes, (2, 5, 3, 4))), dict.fromkeys(classes, 2),
                      dict.fromkeys(classes, 2))


def local_scorer(**settings) -> TaoScorer:
    cfg = TaoConfig(**{"runtime": "local", "epochs": 3, "batch_size": 2, "stop_grace_s": 2, **settings})
    return TaoScorer(cfg, "unit", LocalRuntime(cfg.gpus, cfg.stop_grace_s), poll_max_s=0.2)
