"""scorer.tao.confusion: `action_recognition inference` on the test split, parsed into the full confusion matrix.

The parser is checked on output shaped like the real log (nvidia-tao-pytorch 7.3.0 on CPU: records joined by `\r`, the
first glued to the progress bar, ANSI-coloured log lines after), with spaces in the paths; the scorer end to end with
the stand-in, whose inference predicts what its evaluate counted.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optimizer.scoring import metrics
from optimizer.scoring.tao.errors import TaoResultError
from optimizer.scoring.tao.inference import confusion_from_predictions, majority, parse_predictions
from optimizer.scoring.tao.spec import SpecValues, build_spec
from tests.optimizer.scoring.tao.conftest import local_scorer, make_trial

FOLDER = "/data/my study/test/fall down"
REAL_SHAPED = (
    "GPU available: False, used: False\n"
    "\rPredicting: |          | 0/? [00:00<?, ?it/s]\rPredicting DataLoader 0:  50%|█████     | 1/2 [00:01<00:01]"
    "\rPredicting DataLoader 0: 100%|██████████| 2/2 [00:02<00:00,  0.51it/s]"
    f"{FOLDER}/fall 00 : ['fall down', 'walk']\r{FOLDER}/fall_01 : ['walk', 'fall down', 'walk']\r"
    f"{FOLDER}/it's : [\"it's\"]\n"
    "\x1b[38;20m2026-12-07 05:00:53,342 - [TAO Toolkit] - INFO - Execution status: PASS (entrypoint.py:518)\x1b[0m\n"
)


def test_records_are_found_among_progress_output_with_spaces_in_paths():
    found = parse_predictions(REAL_SHAPED, FOLDER)
    assert found == {"fall 00": ["fall down", "walk"], "fall_01": ["walk", "fall down", "walk"], "it's": ["it's"]}
    assert parse_predictions(REAL_SHAPED, "/data/other") == {}
    assert parse_predictions(REAL_SHAPED, FOLDER + "/") == found  # a trailing slash changes nothing


def test_a_video_is_the_majority_of_its_clips_ties_to_the_first():
    assert majority(["walk", "fall", "fall"]) == "fall"
    assert majority(["walk", "fall"]) == "walk" and majority(["fall", "walk", "walk", "fall"]) == "fall"


def test_the_matrix_rows_are_the_folders_classes():
    predicted = {"fall": {"a": ["fall"], "b": ["walk", "walk", "fall"]}, "walk": {"c": ["fall"], "d": ["walk"]},
                 "jump": {"e": ["fall"]}}
    expected = {"fall": ["a", "b"], "jump": ["e"], "walk": ["c", "d"]}
    conf = confusion_from_predictions(predicted, expected, ["fall", "jump", "walk"])
    assert conf == [[1, 0, 1], [1, 0, 0], [1, 0, 1]]
    assert metrics.per_class_false_positive_rate(conf)[0] == pytest.approx(2 / 3)  # jump and one walk called fall
    with pytest.raises(TaoResultError, match="no prediction printed for 1 test video"):
        confusion_from_predictions(predicted, {**expected, "walk": ["c", "d", "x"]}, ["fall", "jump", "walk"])
    with pytest.raises(TaoResultError, match="predicted 'sit', not a class"):
        confusion_from_predictions({**predicted, "jump": {"e": ["sit"]}}, expected, ["fall", "jump", "walk"])


def test_the_inference_spec_is_taos_schema_with_the_checkpoint_and_one_class_folder():
    values = SpecValues(label_map={"fall": 0, "walk": 1}, train_dir="/data/train", val_dir="/data/val",
                        test_dir="/data/test", results_dir="/results", checkpoint="/results/train/m.pth",
                        inference_dir="/data/test/fall", overrides={"evaluate.batch_size": 4})
    spec = build_spec("inference", values)
    assert spec["inference"]["checkpoint"] == "/results/train/m.pth"
    assert spec["inference"]["inference_dataset_dir"] == "/data/test/fall"
    assert "evaluate" not in spec and "train" not in spec  # other tasks' overrides stay out


def test_four_classes_get_the_full_matrix_from_inference(standin, tmp_path):
    classes = ("fall", "jump", "punch", "walk")
    trial = make_trial(tmp_path / "a study" / "00003", dict(zip(classes, (2, 5, 3, 4))), dict.fromkeys(classes, 2),
                       dict.fromkeys(classes, 3))
    (trial.split_dir("test") / "walk" / "walk_00").rename(trial.split_dir("test") / "walk" / "walk 00 (front)")
    result = local_scorer(confusion=True).score(trial, seed=0)
    conf = result.confusion
    assert len(conf) == 4 and [sum(row) for row in conf] == [3, 3, 3, 3]
    # the same predictions evaluate counted: recall from the matrix is evaluate's
    assert result.info["inference_agrees_with_evaluate"] is True
    recall = metrics.per_class_recall(conf)
    assert [result.per_class_recall[c] for c in classes] == pytest.approx(list(recall))
    measures = result.target_measures()
    assert all(not math.isnan(measures[k]) for k in ("recall", "f1", "fpr"))
    fall_fp = sum(conf[r][0] for r in range(1, 4))
    assert measures["fpr"] == pytest.approx(fall_fp / 9)
    kept = sorted(p.name for p in (trial.root / "tao").glob("inference_*.log"))
    assert kept == ["inference_0.log", "inference_1.log", "inference_2.log", "inference_3.log"]
    assert "walk 00 (front) : [" in (trial.root / "tao" / "inference_3.log").read_text()


def test_without_confusion_no_inference_runs(standin, trial4):
    result = local_scorer().score(trial4, seed=0)
    assert result.confusion == [] and not list((trial4.root / "tao").glob("inference*"))


def test_the_final_selection_turns_confusion_on():
    from optimizer.study.selection import with_confusion

    scorer = local_scorer()
    assert scorer.settings.confusion is False and with_confusion(scorer).settings.confusion is True
    assert with_confusion(scorer).runtime is scorer.runtime


def test_the_real_inference_log_when_its_fixture_is_here():
    """NVIDIA's own output (nvidia-tao-pytorch 7.3.0, captured into fixtures/ by the TAO capture tooling): six videos of
    a flat folder, each with one clip label, joined by `\\r` after the progress bar."""
    fixture = Path(__file__).parent / "fixtures" / "inference.log"
    if not fixture.is_file():
        pytest.skip("tests/optimizer/scoring/tao/fixtures/inference.log not captured in this checkout")
    found = parse_predictions(fixture.read_text(errors="replace"), "/tmp/cap/work/data/inference")
    assert sorted(found) == ["fall_00", "fall_01", "fall_02", "walk_00", "walk_01", "walk_02"]
    assert all(len(labels) == 1 for labels in found.values())
