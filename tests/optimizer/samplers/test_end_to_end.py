"""One short run of the real pipeline with spsa: probe pairs generate and train with their shared seed, the final
selection runs at the end and `status` shows it. A fast configuration of the embedded scorer (2 epochs, 32 px)."""

from __future__ import annotations

import json
import subprocess
import sys

import optuna
import yaml

from optimizer.samplers import PROBE_ATTR
from optimizer.study import StudyPaths

FAST = {
    "name": "fast_spsa",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 32, "real_views": "front", "synthetic_views": "front,random:2"},
    "search": {"trials": 3, "seed": 0, "sampler": "spsa", "spsa": {"init": 0}, "final_selection": {"top": 1, "seeds": 2}},
    "scorer": {"epochs": 1, "frames": 8, "size": 32, "batch_size": 8},
}


def test_spsa_study_with_final_selection(tmp_path):
    path, studies = tmp_path / "fast.yaml", tmp_path / "studies"
    path.write_text(yaml.safe_dump(FAST))
    done = subprocess.run([sys.executable, "-m", "optimizer.cli", "optimize", str(path), "--studies-dir", str(studies),
                           "--device", "cpu"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "spsa sampler: iteration 1" in done.stdout and "final selection (mean_class_accuracy; 2 fresh seeds" in done.stdout
    assert "vs none:" in done.stdout and "vs synthda:" in done.stdout

    paths = StudyPaths.for_study("fast_spsa", studies)
    study = optuna.load_study(study_name="fast_spsa", storage=paths.default_storage)
    plus, minus = study.trials[1], study.trials[2]  # trial 0 is the baseline
    assert plus.system_attrs[PROBE_ATTR]["seed"] == minus.system_attrs[PROBE_ATTR]["seed"]
    for trial in (plus, minus):
        manifest = json.loads((paths.trial_dir(trial.number) / "manifest.json").read_text())
        result = json.loads((paths.trial_dir(trial.number) / "result.json").read_text())
        assert manifest["seed"] == trial.system_attrs["crn_seed"]  # generation ...
        assert result["info"]["seed"] == trial.system_attrs["crn_seed"]  # ... and training share the pair's seed
    selection = study.user_attrs["final_selection"]
    assert selection["chosen"] == 0 and len(selection["candidates"][0]["values"]) == 2
