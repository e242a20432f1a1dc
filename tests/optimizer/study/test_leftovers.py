"""What a killed render, setup, trial or export left under a root is removed by the next command that writes there
(only entries of dead owners), so check_tao_layout and TAO see only whole clips; a killed render's root is marked
incomplete until a rerun completes it."""

from __future__ import annotations

import os
import subprocess
import time

import optuna
import yaml
from optuna.trial import TrialState

from generation.dataset import check_tao_layout
from generation.partials import INCOMPLETE, TMP_TAG, owner_tag
from generation.samples import sample_files
from optimizer.study import StudyPaths, open_storage

STUDY = {
    "name": "left",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 16, "real_views": "front", "synthetic_views": "front", "format": "jpg"},
    "search": {"trials": 2, "seed": 0, "sampler": "random", "ratio": [0.5, 1.0]},
    "scorer": {"kind": "standin", "standin_seconds": 0.0},
    "tracking": {"enabled": False},
}


def dead_owner() -> str:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return owner_tag(proc.pid)


def partial(folder, name, *, legacy=False):
    """A partial clip folder as a writer killed mid-write leaves it (legacy: a name from before owners, an hour old)."""
    path = folder / (f".{name}{TMP_TAG}0123456789ab" if legacy else f".{name}{TMP_TAG}{dead_owner()}0123456789ab")
    (path / "rgb").mkdir(parents=True)
    (path / "rgb" / "000000.jpg").write_bytes(b"half")
    past = time.time() - 2 * 3600
    os.utime(path, (past, past))
    return path


def leftovers(root):
    return sorted(str(p) for p in root.rglob(f"*{TMP_TAG}*")) + sorted(str(p) for p in root.rglob(INCOMPLETE))


def test_a_rerun_render_completes_what_a_killed_one_left(tmp_path, autosynthda):
    poses = tmp_path / "poses"
    poses.mkdir()
    for path in sample_files():
        if path.stem in ("walk_humanoid3d_walk_00", "fall_Boxing_Toes_00"):
            (poses / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out"
    assert autosynthda("render", poses, "--out", out, "--size", "16").returncode == 0
    assert not (out / INCOMPLETE).exists()
    partial(out / "fall", "fall_Boxing_Toes_01__front")
    partial(out / "walk", "walk_x__front", legacy=True)
    (out / INCOMPLETE).write_text("killed\n")
    done = autosynthda("render", poses, "--out", out, "--size", "16")
    assert done.returncode == 0, done.stderr
    assert "a previous render into it was killed" in done.stdout
    assert leftovers(out) == []
    check_tao_layout(out, ["fall", "walk"])  # before the fix: the partial folders were taken for videos


def test_optimize_and_export_sweep_what_killed_runs_left(tmp_path, autosynthda):
    config = tmp_path / "left.yaml"
    config.write_text(yaml.safe_dump(STUDY))
    studies = tmp_path / "studies"
    storage = f"journal:///{tmp_path / 'study.journal'}"
    args = ["--storage", storage, "--studies-dir", studies, "--device", "cpu"]
    assert autosynthda("optimize", config, *args).returncode == 0
    paths = StudyPaths.for_study("left", studies)
    partial(paths.root, "real")
    partial(paths.trials, "00002")
    partial(paths.real / "train" / "fall", "fall_x")
    frames = paths.trial_dir(1) / "train" / "fall" / "syn_0000_front" / "rgb"  # a finished trial's frames
    frames.mkdir(parents=True)
    (frames / "000000.jpg").write_bytes(b"x")
    done = autosynthda("optimize", config, *args, "--trials", "3")
    assert done.returncode == 0, done.stderr
    assert "removed 4 leftover(s) of killed processes" in done.stdout
    assert leftovers(paths.root) == []
    assert not (paths.trial_dir(1) / "train").exists()
    study = optuna.load_study(study_name="left", storage=open_storage(storage))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3

    out = tmp_path / "export"
    stale = partial(tmp_path, "export")
    done = autosynthda("export", config, "--out", out, *args)
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and leftovers(tmp_path) == []
    check_tao_layout(out / "train", ["fall", "jump", "punch", "walk"])
