"""Metrics on hand-computed confusion matrices, and the ScoreResult / TrialDataset contracts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from generation.errors import AutoSynthDaError
from optimizer.scoring import METRICS, ScoreResult, ScoringError, TrialDataset
from optimizer.scoring import metrics as m

NAN = float("nan")


def close(actual, expected) -> bool:
    return np.allclose(np.asarray(actual, float), np.asarray(expected, float), equal_nan=True)


def test_confusion_matrix_rows_true_columns_predicted():
    conf = m.confusion_matrix([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 2], 4)
    assert conf.tolist() == [[1, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert conf.dtype == np.int64


def test_class_absent_from_test_is_left_out_of_the_mean():
    conf = np.array([[1, 1, 0, 0], [1, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]])  # class 3: no samples, never predicted
    assert m.accuracy(conf) == pytest.approx(4 / 6)
    assert close(m.per_class_recall(conf), [1 / 2, 2 / 3, 1, NAN])
    assert close(m.per_class_precision(conf), [1 / 2, 2 / 3, 1, NAN])
    assert close(m.per_class_f1(conf), [1 / 2, 2 / 3, 1, NAN])
    assert m.mean_class_accuracy(conf) == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)


def test_absent_but_predicted_and_present_but_never_predicted():
    # class 0: 2 true, 1 right; class 1: absent from test yet predicted once; class 2: 1 true, never predicted.
    conf = m.confusion_matrix([0, 0, 2], [0, 1, 0], 3)
    assert conf.tolist() == [[1, 1, 0], [0, 0, 0], [1, 0, 0]]
    assert close(m.per_class_recall(conf), [1 / 2, NAN, 0])
    assert close(m.per_class_precision(conf), [1 / 2, 0, NAN])
    # F1 = 2TP / (2TP + FP + FN): class 0 2/(2+1+1), class 1 0/(1), class 2 0/(1)
    assert close(m.per_class_f1(conf), [1 / 2, 0, 0])
    assert m.mean_class_accuracy(conf) == pytest.approx((1 / 2 + 0) / 2)
    assert m.accuracy(conf) == pytest.approx(1 / 3)


def test_perfect_and_empty():
    conf = m.confusion_matrix([0, 1, 2], [0, 1, 2], 3)
    assert m.accuracy(conf) == m.mean_class_accuracy(conf) == 1.0
    assert close(m.per_class_f1(conf), [1, 1, 1])
    empty = m.confusion_matrix([], [], 3)
    assert math.isnan(m.accuracy(empty)) and math.isnan(m.mean_class_accuracy(empty))


def test_false_positive_rate_is_other_classes_predicted_as_the_class():
    # 3 classes, 9 test clips: class 0 (3 true) is predicted for 1 jump and 2 walks: FP 3 of the 6 non-class-0 clips.
    conf = m.confusion_matrix([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 1, 0, 0, 2], 3)
    assert conf.tolist() == [[2, 1, 0], [1, 2, 0], [2, 0, 1]]
    assert close(m.per_class_false_positive_rate(conf), [3 / 6, 1 / 6, 0 / 6])
    assert close(m.per_class_precision(conf), [2 / 5, 2 / 3, 1])
    only_one_class = m.confusion_matrix([0, 0], [0, 0], 2)
    assert close(m.per_class_false_positive_rate(only_one_class), [NAN, 0])  # no negatives for class 0


def test_score_result_target_measures_from_its_confusion():
    r = ScoreResult.from_predictions([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 1, 0, 0, 2], ["fall", "jump", "walk"],
                                     "fall", loss=0.5, train_seconds=0.0, eval_seconds=0.0)
    assert r.target_measures() == pytest.approx({"recall": 2 / 3, "precision": 2 / 5, "f1": 2 * 2 / (2 * 2 + 3 + 1),
                                                 "fpr": 3 / 6})
    data = r.to_dict()
    assert data["per_class_false_positive_rate"]["fall"] == pytest.approx(0.5)
    assert ScoreResult.from_dict(data).to_dict() == data
    # a scorer without a matrix (TAO's evaluate alone with > 2 classes): recall known, the rest NaN
    bare = ScoreResult(accuracy=0.5, mean_class_accuracy=0.5, per_class_recall={"fall": 0.5, "walk": 0.5},
                       per_class_f1={"fall": NAN, "walk": NAN}, confusion=[], classes=["fall", "walk"],
                       target_class="fall", loss=NAN, train_seconds=0.0, eval_seconds=0.0)
    measures = bare.target_measures()
    assert measures["recall"] == 0.5 and all(math.isnan(measures[k]) for k in ("precision", "f1", "fpr"))


def test_bad_inputs():
    with pytest.raises(ValueError, match="lengths differ"):
        m.confusion_matrix([0, 1], [0], 2)
    with pytest.raises(ValueError, match="y_pred: class index outside"):
        m.confusion_matrix([0, 1], [0, 2], 2)


def result() -> ScoreResult:
    return ScoreResult.from_predictions(
        [0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 2], ["fall", "jump", "walk", "sit"], "fall", loss=0.7,
        train_seconds=1.5, eval_seconds=0.1, epochs=[{"train_loss": 1.0, "train_acc": 0.5, "val_loss": NAN,
                                                      "val_acc": 0.25}], best_epoch=0,
    )


def test_score_result_metrics_and_json_round_trip():
    r = result()
    assert r.metric("accuracy") == pytest.approx(4 / 6)
    assert r.metric("mean_class_accuracy") == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert r.metric("target_recall") == pytest.approx(1 / 2) and r.metric("target_f1") == pytest.approx(1 / 2)
    assert {name: r.metric(name) for name in METRICS}  # every advertised metric is computable
    assert math.isnan(r.per_class_recall["sit"])
    data = r.to_dict()
    text = json.dumps(data, allow_nan=False)  # strict JSON: NaN written as null
    assert data["per_class_recall"]["sit"] is None and data["confusion"][3] == [0, 0, 0, 0]
    back = ScoreResult.from_dict(json.loads(text))
    assert back.to_dict() == data and math.isnan(back.per_class_f1["sit"])
    with pytest.raises(ScoringError, match="metric: unknown 'f2'"):
        r.metric("f2")


def test_trial_dataset_validation(tmp_path):
    with pytest.raises(ScoringError, match="target_class: 'sit' is not in the label map"):
        TrialDataset(tmp_path, {"fall": 0, "walk": 1}, "sit")
    with pytest.raises(ScoringError, match="label_map: indices must be 0..1"):
        TrialDataset(tmp_path, {"fall": 0, "walk": 2}, "fall")
    with pytest.raises(AutoSynthDaError, match="manifest.json: trial manifest: not found") as info:
        TrialDataset.from_manifest(tmp_path)
    assert str(tmp_path) in str(info.value) and "\n" not in str(info.value)
    ds = TrialDataset(str(tmp_path), {"walk": 1, "fall": 0}, "fall")
    assert ds.classes == ["fall", "walk"] and ds.split_dir("val") == tmp_path / "val"
