"""Bad input against a study that exists (set up and one trial finished, with the stand-in scorer): exports into
taken places or of trials that do not exist, wrong names. One line, exit 2, and the study's folder unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

STUDY = {
    "name": "done",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 16, "real_views": "front", "synthetic_views": "front", "format": "jpg"},
    "search": {"trials": 1, "seed": 0, "sampler": "random", "ratio": [0.0, 1.0]},
    "scorer": {"kind": "standin", "standin_seconds": 0.0},
    "tracking": {"enabled": False},
}


@pytest.fixture(scope="module")
def done_study(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("done")
    config = root / "done.yaml"
    config.write_text(yaml.safe_dump(STUDY))
    studies = root / "studies"
    ran = subprocess.run([sys.executable, "-m", "optimizer.cli", "optimize", config, "--studies-dir", studies,
                          "--device", "cpu"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return config, studies


def export(*options: object, out=lambda tmp: tmp / "dataset"):
    return lambda study: lambda tmp: ["export", study[0], "--out", out(tmp), "--studies-dir", study[1], "--device",
                                      "cpu", *options]


def taken(tmp: Path) -> Path:
    (tmp / "taken").mkdir()
    (tmp / "taken" / "keep.txt").write_text("mine")
    return tmp / "taken"


ROWS = {
    "export-out-not-empty": (export(out=taken), ("{tmp}/taken", "--out", "not an empty folder")),
    "export-out-a-file": (export(out=lambda tmp: (tmp / "f").write_text("x") and tmp / "f"), ("{tmp}/f", "--out")),
    "export-out-under-a-file": (export(out=lambda tmp: (tmp / "f").write_text("x") and tmp / "f" / "ds"),
                                ("{tmp}/f/ds", "--out", "is a file")),
    "export-trial-missing": (export("--trial", "99"), ("--trial", "no trial 99")),
    "export-class-unknown": (export("--class", "dance"), ("target_class", "dance")),
    "status-other-class": (lambda study: lambda tmp: ["status", "done_jump", "--studies-dir", study[1]],
                           ("done_jump", "study")),
}


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_bad_input_against_an_existing_study(kind, badinput, done_study):
    make_argv, names = ROWS[kind]
    badinput.check((make_argv(done_study), names, lambda tmp: [done_study[1]]))
