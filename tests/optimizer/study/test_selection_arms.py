"""Final selection on a tiny real study (the stand-in scorer, no training): the reference arms `none` and `synthda`
beside the candidates, the same seeds in every arm, a resume after an interruption, and `status` printing the
verdicts; with tracking, the parent run gets the table and the forest plot."""

from __future__ import annotations

import json
import os

import numpy as np
import optuna
import pytest
from mlflow.tracking import MlflowClient
from PIL import Image
from typer.testing import CliRunner

from optimizer.cli import optimize, select  # noqa: F401  (registers the commands)
from optimizer.cli.app import app
from optimizer.config import StudyConfig
from optimizer.evidence import comparisons
from optimizer.scoring.standin import StandInScorer, stand_in_value
from optimizer.study import StudyPaths, prepare_study
from optimizer.study.export import _selection_lines
from optimizer.study.selection import (
    FRESH_SEED_BASE,
    SELECTION_ATTR,
    format_selection,
    reference_arms,
    run_selection,
    study_evaluator,
    study_references,
)
from optimizer.tracking import PARENT_RUN_ATTR, resolve_tracking_uri

TINY = {
    "name": "arms",
    "target_class": "fall",
    "data": {"real": os.path.abspath("generation/samples/data"), "classes": ["fall", "jump", "punch", "walk"]},
    "render": {"size": 32, "real_views": "front", "synthetic_views": "front,random:2"},
    "search": {"trials": 3, "seed": 0, "sampler": "random"},
    "scorer": {"kind": "standin", "standin_seconds": 0},
    "tracking": {"enabled": False},
}


class Interrupted(Exception):
    pass


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("arms")
    config_path = root / "arms.yaml"
    config_path.write_text(json.dumps(TINY))
    done = CliRunner().invoke(app, ["optimize", str(config_path), "--studies-dir", str(root / "studies"),
                                    "--device", "cpu"])
    assert done.exit_code == 0, done.output
    return root, config_path


def test_arms_share_seeds_resume_and_status_prints_verdicts(study_dir):
    root, _ = study_dir
    config = StudyConfig.model_validate(TINY)
    paths = StudyPaths.for_study("arms", root / "studies")
    prepared = prepare_study(config, paths=paths, device="cpu", log=lambda _: None)
    references = study_references(prepared)
    # 2 train falls and one pair in the bank: SynthDa's amount is 1 clip, ratio 1/2; its weight the 0.5 start
    assert [(r.arm, r.weight, r.ratio) for r in references] == [("none", 0.5, 0.0), ("synthda", 0.5, 0.5)]

    evaluate = study_evaluator(prepared, StandInScorer(0))
    calls: list[tuple[float, float, int]] = []

    def interrupted_after_five(weight, ratio, seed):
        if len(calls) == 5:
            raise Interrupted
        calls.append((weight, ratio, seed))
        return evaluate(weight, ratio, seed)

    with pytest.raises(Interrupted):
        run_selection(prepared.study, interrupted_after_five, top=2, seeds=3, metric=config.metric,
                      references=references, log=lambda _: None)
    stored = prepared.study.user_attrs[SELECTION_ATTR]
    assert stored["chosen"] is None and "incomplete" in format_selection(stored)

    def counted(weight, ratio, seed):
        calls.append((weight, ratio, seed))
        return evaluate(weight, ratio, seed)

    summary = run_selection(prepared.study, counted, top=2, seeds=3, metric=config.metric, references=references,
                            log=lambda _: None)
    arms = summary["candidates"] + summary["references"]
    assert [a["arm"] for a in arms] == ["candidate", "candidate", "none", "synthda"]
    assert len(calls) == len(set(calls)) == 4 * 3  # nothing evaluated twice across the interruption
    seeds = [FRESH_SEED_BASE, FRESH_SEED_BASE + 1, FRESH_SEED_BASE + 2]
    for arm in arms:
        assert arm["seeds"] == seeds
        assert arm["values"] == pytest.approx([stand_in_value(arm["weight"], arm["ratio"])] * 3)
        for seed in seeds:  # generation used seed i in every arm (training did too: the stand-in ignores it)
            folder = paths.root / "selection" / f"w{arm['weight']:.3f}_r{arm['ratio']:.4f}_s{seed}"
            manifest = json.loads((folder / "manifest.json").read_text())
            assert manifest["seed"] == seed and (manifest["weight"], manifest["ratio"]) == (arm["weight"], arm["ratio"])
    synthda = json.loads((paths.root / "selection" / f"w0.500_r0.5000_s{seeds[0]}" / "manifest.json").read_text())
    assert sum(c["kind"] == "synthetic" for c in synthda["clips"]) == 1  # one clip per pair

    done = CliRunner().invoke(app, ["status", "arms", "--studies-dir", str(root / "studies")])
    assert done.exit_code == 0, done.output
    first = summary["candidates"][0]
    gain = first["mean"] - summary["references"][0]["mean"]
    label = f"w {first['weight']:.2f} r {first['ratio']:.2f}"
    assert f"{label} vs none: {gain:+.3f} mean class accuracy (95% CI {gain:+.3f}..{gain:+.3f}, 3 paired seeds)" \
        in done.output
    assert f"{label} vs synthda:" in done.output and "the same in every arm" in done.output


def test_select_command_logs_the_table_and_the_forest_plot(tmp_path):
    config = {**TINY, "name": "arms_tracked", "tracking": {"enabled": True}}
    path = tmp_path / "tracked.yaml"
    path.write_text(json.dumps(config))
    studies = tmp_path / "studies"
    runner = CliRunner()
    assert runner.invoke(app, ["optimize", str(path), "--studies-dir", str(studies), "--trials", "2"]).exit_code == 0
    done = runner.invoke(app, ["select", str(path), "--studies-dir", str(studies), "--top", "1", "--seeds", "2"])
    assert done.exit_code == 0, done.output
    assert "vs none:" in done.output and "vs synthda:" in done.output
    paths = StudyPaths.for_study("arms_tracked", studies)
    study = optuna.load_study(study_name="arms_tracked", storage=paths.default_storage)
    client = MlflowClient(resolve_tracking_uri(StudyConfig.model_validate(config), paths.root))
    parent = study.user_attrs[PARENT_RUN_ATTR]
    table = open(client.download_artifacts(parent, "study/final_selection.csv")).read().splitlines()
    assert table[0].startswith("row,arm,label,reference") and len(table) == 1 + 3 + 2  # 3 arms, 2 comparisons
    image = np.asarray(Image.open(client.download_artifacts(parent, "study/forest.png")))
    assert image.ndim == 3 and image.shape[0] > 100 and image.std() > 0


def test_export_readme_and_status_carry_the_verdicts_of_a_noisy_selection():
    dist = {"weight": optuna.distributions.FloatDistribution(0, 1),
            "ratio": optuna.distributions.FloatDistribution(0, 2)}
    study = optuna.create_study(direction="maximize")
    for (w, r), value in {(0.25, 0.8): 0.9, (0.6, 1.5): 0.8, (0.5, 0.0): 0.7}.items():
        study.add_trial(optuna.trial.create_trial(params={"weight": w, "ratio": r}, distributions=dist, value=value))
    references = reference_arms(study, none_weight=0.5, n_pairs=3, target_train_clips=6)

    def noisy(weight, ratio, seed):  # a seed effect shared by every arm, plus a little noise of the arm's own
        rng = np.random.default_rng(seed)
        luck = rng.normal(0, 0.05)
        own = np.random.default_rng([seed, int(weight * 1000), int(ratio * 1000)]).normal(0, 0.01)
        value = 0.7 + 0.05 * ratio + luck + own
        return {"value": value, "recall": 0.5, "precision": float("nan"), "f1": 0.4, "fpr": 0.1 * ratio}

    summary = run_selection(study, noisy, top=2, seeds=4, metric="mean_class_accuracy", references=references,
                            log=lambda _: None)
    assert [r["ratio"] for r in summary["references"]] == [0.0, 0.5]
    diffs = comparisons(summary)
    assert [(d["label"], d["reference"]) for d in diffs] == [
        ("w 0.25 r 0.80", "none"), ("w 0.25 r 0.80", "synthda"), ("w 0.60 r 1.50", "none"),
        ("w 0.60 r 1.50", "synthda")]
    text = format_selection(summary)
    assert all(d["verdict"] in text for d in diffs)
    # each arm's own interval is wide (the seed's luck), the paired differences are narrow: the luck cancels
    assert "w 0.60 r 1.50 vs none: +0.06" in text and "better, shown at 95%" in text
    trial = study.trials[1]  # w 0.6 r 1.5, the better candidate
    readme = "\n".join(_selection_lines(study, trial))
    assert "false-positive rate of the target class: 0.1500" in readme
    assert all(d["verdict"] in readme for d in diffs)


def test_synthda_takes_the_legacy_searchs_answer_when_the_study_ran_it():
    study = optuna.create_study(direction="maximize")
    study.set_user_attr("fd_sampler", {"mode": "legacy", "recommendation": {"weight": 0.35, "ratio": 1.0}})
    none, synthda = reference_arms(study, none_weight=0.5, n_pairs=4, target_train_clips=10)
    assert (none.ratio, synthda.weight, synthda.ratio) == (0.0, 0.35, 0.4) and "legacy" in synthda.source
    study.set_user_attr("fd_sampler", {"mode": "spsa", "recommendation": {"weight": 0.9, "ratio": 1.0}})
    assert reference_arms(study, none_weight=0.5, n_pairs=4, target_train_clips=10)[1].weight == 0.5
    assert [a.arm for a in reference_arms(study, none_weight=0.5, n_pairs=0, target_train_clips=10)] == ["none"]
