"""The full confusion matrix from TAO: `action_recognition inference` on the test split, parsed per video.

TAO's evaluate prints per-class recall only, so with more than two classes nobody can tell which class the misses went
to, nor how often another class was called the target (its false alarms). Inference prints what it predicted for each
video: its on_predict_epoch_end does `print("{} : {}".format(path, labels))`, one line per video with the labels of its
clips (one clip in video_inf_mode center, as evaluate's center mode scores). What it prints around them is progress
output joined by `\r` (the first line may follow a progress bar on the same line; the real log separates the lines
with `\r` too), so lines are found by the folder prefix TAO was given, not by line starts.

TAO's inference reads a FLAT folder of videos (no class folders), so it runs once per class on test/<class>: the
folder of each printed path is its true class. A video's prediction is the majority of its clip labels (ties to the
label seen first).
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from optimizer.scoring import metrics
from optimizer.scoring.protocol import ScoreResult, TrialDataset
from optimizer.scoring.tao.errors import TaoResultError, tail_text

LOG_NAME = "inference.log"

# path, " : ", a Python list of quoted labels (str(list) of class names: 'fall' or "it's")
_RECORD = r"(?P<path>.+?) : (?P<labels>\[(?:'[^'\r\n]*'|\"[^\"\r\n]*\"|, )*\])"


def parse_predictions(log: str, folder: str) -> dict[str, list[str]]:
    """{video name: [clip labels]} for every `<folder>/<video> : [...]` record in log (folder as TAO saw it, any
    characters, spaces included). A video printed twice keeps its last record."""
    prefix = folder.rstrip("/") + "/"
    pattern = re.compile(re.escape(prefix) + _RECORD + r"(?=[\r\n]|$)")
    found: dict[str, list[str]] = {}
    for chunk in re.split(r"[\r\n]", log):
        start = chunk.find(prefix)  # progress output may precede the first record on its line
        if start < 0:
            continue
        match = pattern.match(chunk, start)
        if match is None or "/" in match.group("path"):
            continue
        found[match.group("path")] = [str(label) for label in ast.literal_eval(match.group("labels"))]
    return found


def majority(labels: Sequence[str]) -> str:
    """The most frequent label; a tie goes to the one that appears first."""
    counts = Counter(labels)
    best = max(counts.values())
    return next(label for label in labels if counts[label] == best)


def confusion_from_predictions(
    predicted: Mapping[str, Mapping[str, Sequence[str]]], expected: Mapping[str, Sequence[str]], classes: Sequence[str]
) -> list[list[int]]:
    """predicted[true class][video] = clip labels; expected[true class] = the test videos of that class. Every
    expected video needs a prediction naming a known class."""
    index = {c: i for i, c in enumerate(classes)}
    missing = [f"{c}/{v}" for c, videos in expected.items() for v in videos if v not in predicted.get(c, {})]
    if missing:
        raise TaoResultError(f"inference: no prediction printed for {len(missing)} test video(s), e.g. {missing[0]}")
    y_true, y_pred = [], []
    for c, videos in expected.items():
        for v in videos:
            label = majority(predicted[c][v]) if predicted[c][v] else None
            if label not in index:
                raise TaoResultError(f"inference: {c}/{v}: predicted {label!r}, not a class of the label map")
            y_true.append(index[c])
            y_pred.append(index[label])
    return metrics.confusion_matrix(y_true, y_pred, len(classes)).tolist()


def test_videos(dataset: TrialDataset) -> dict[str, list[str]]:
    """The test split's video folders (those with rgb/) per class, as TAO's loaders list them."""
    root = dataset.split_dir("test")
    return {c: sorted(p.name for p in (root / c).iterdir() if (p / "rgb").is_dir()) if (root / c).is_dir() else []
            for c in dataset.classes}


# run(class_folder_in_container) -> what the run printed; the scorer's own runner, which raises on a failed run
RunInference = Callable[[str], str]


def infer_confusion(dataset: TrialDataset, test_dir: str, run: RunInference, work: Path) -> list[list[int]]:
    """Run inference once per class with test videos, keep each class's log as inference_<i>.log beside the others,
    and build the confusion matrix."""
    expected = test_videos(dataset)
    predicted: dict[str, dict[str, list[str]]] = {}
    for i, c in enumerate(dataset.classes):
        if not expected[c]:
            continue
        folder = str(PurePosixPath(test_dir) / c)
        log = run(folder)
        if (work / LOG_NAME).is_file():  # the next class's run writes the same name
            (work / LOG_NAME).replace(work / f"inference_{i}.log")
        predicted[c] = parse_predictions(log, folder)
        if not predicted[c]:
            raise TaoResultError(f"inference: no `<path> : [labels]` line for {folder} in its output",
                                 log_tail=tail_text(log))
    return confusion_from_predictions(predicted, expected, dataset.classes)


def with_confusion(result: ScoreResult, confusion: list[list[int]]) -> ScoreResult:
    """The evaluate result with inference's matrix: F1 from it (precision and the false-positive rate follow from
    `confusion`); accuracy and recall stay evaluate's, and whether the matrix agrees with them is recorded."""
    f1 = {c: float(v) for c, v in zip(result.classes, metrics.per_class_f1(confusion))}
    recall = metrics.per_class_recall(confusion)
    agrees = all(
        (math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-6
        for a, b in zip((result.per_class_recall[c] for c in result.classes), recall)
    )
    info = {**result.info, "confusion": "from action_recognition inference on the test split (one run per class)",
            "inference_agrees_with_evaluate": agrees}
    return replace(result, confusion=confusion, per_class_f1=f1, info=info)
