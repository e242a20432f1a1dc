"""`autosynthda export`: the chosen trial's dataset in TAO's layout, re-drawn identically, with no test-clip leak."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys

import optuna
import pytest
import yaml

from generation.dataset import TrialManifest, check_tao_layout
from optimizer.study import StudyPaths

STUDY = {
    "name": "exp",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 32, "real_views": "front", "synthetic_views": "front,random:2"},
    "search": {"trials": 2, "seed": 0, "sampler": "random", "ratio": [0.5, 1.5]},
    "scorer": {"epochs": 1, "frames": 8, "size": 32, "batch_size": 8},
    "keep_trial_data": True,  # so the export can be compared with the frames the trial trained on
}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    path = root / "exp.yaml"
    path.write_text(yaml.safe_dump(STUDY))
    studies = root / "studies"
    ran = subprocess.run([sys.executable, "-m", "optimizer.cli", "optimize", str(path), "--studies-dir", str(studies),
                          "--device", "cpu", "--no-tracking"], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    return path, studies, root


def test_export_is_the_best_trials_dataset_in_tao_layout(study, autosynthda):
    path, studies, root = study
    out = root / "best"
    result = autosynthda("export", path, "--out", out, "--studies-dir", studies, "--device", "cpu")
    assert result.returncode == 0, result.stderr
    loaded = optuna.load_study(study_name="exp", storage=StudyPaths.for_study("exp", studies).default_storage)
    best = loaded.best_trial
    manifest = TrialManifest.read(out)
    assert (manifest.weight, manifest.ratio) == (best.params["weight"], best.params["ratio"])
    for split in ("train", "val", "test"):
        check_tao_layout(out / split, manifest.label_map)
    assert manifest.count("train", kind="synthetic") == round(best.params["ratio"] * manifest.count("train", "fall", "real"))
    assert manifest.count("val", kind="synthetic") == manifest.count("test", kind="synthetic") == 0
    readme = (out / "README.md").read_text()
    assert f"w = {best.params['weight']:.4f}" in readme and f"{best.value:.4f}" in readme
    written = {p.suffix for p in (out / "train").rglob("rgb/*")}
    assert len(written) == 1 and f"rgb/000000{written.pop()}`" in readme  # the README names the frames' real format
    assert f"trial {best.number}" in result.stdout


def test_export_contains_no_file_of_a_test_clips_source(study, autosynthda):
    path, studies, root = study
    out = root / "leak"
    assert autosynthda("export", path, "--out", out, "--studies-dir", studies, "--device", "cpu").returncode == 0
    manifest = TrialManifest.read(out)
    test_sources = set().union(*(c.sources() for c in manifest.clips if c.split == "test"))
    assert test_sources
    for clip in manifest.clips:
        if clip.split != "test":
            assert not clip.sources() & test_sources, clip
    # and on disk: no frame under train/ or val/ is the same file as a frame under test/
    test_inodes = {p.stat().st_ino for p in (out / "test").rglob("*.png")}
    for split in ("train", "val"):
        assert not {p.stat().st_ino for p in (out / split).rglob("*.png")} & test_inodes


def test_export_redraws_the_trials_synthetic_clips_byte_for_byte(study, autosynthda):
    path, studies, root = study
    out = root / "trial1"
    assert autosynthda("export", path, "--out", out, "--trial", 1, "--studies-dir", studies, "--device", "cpu").returncode == 0
    trial_dir = StudyPaths.for_study("exp", studies).trial_dir(1)
    synthetic = [c for c in TrialManifest.read(out).clips if c.kind == "synthetic"]
    assert synthetic
    for clip in synthetic:
        exported = out / "train" / "fall" / clip.video / "rgb"
        kept = trial_dir / "train" / "fall" / clip.video / "rgb"
        names = sorted(p.name for p in exported.iterdir())
        assert names == sorted(p.name for p in kept.iterdir())
        match, mismatch, errors = filecmp.cmpfiles(exported, kept, names, shallow=False)
        assert not mismatch and not errors
    assert json.loads((out / "manifest.json").read_text())["seed"] == json.loads((trial_dir / "manifest.json").read_text())["seed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--trial", "7"), "--trial: no trial 7 (the study has 2)"),
        (("--out", "{taken}"), "--out: exists and is not an empty folder"),
    ],
)
def test_export_errors_are_one_line_and_write_nothing(study, autosynthda, args, message):
    path, studies, root = study
    taken = root / "taken"
    taken.mkdir(exist_ok=True)
    (taken / "keep.txt").write_text("mine")
    args = tuple(a.format(taken=taken) for a in args)
    out = ["--out", root / "never"] if "--out" not in args else []
    result = autosynthda("export", path, *out, *args, "--studies-dir", studies, "--device", "cpu")
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (root / "never").exists()
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    assert not list(root.glob(".*export*"))
