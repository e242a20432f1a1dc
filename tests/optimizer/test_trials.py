"""The trial schema (optimizer/trials.py) is the only place an attribute key or parameter name is spelled out, and
TrialRecord reads a trial back as the driver wrote it."""

from __future__ import annotations

import ast
from pathlib import Path

import optuna
import pytest

from optimizer import trials
from optimizer.scoring.protocol import ScoreResult
from optimizer.trials import RATIO, WEIGHT, StudyAttr, SystemAttr, TrialRecord, UserAttr

OPTIMIZER = Path(trials.__file__).resolve().parent
KEYS = {v for group in (UserAttr, SystemAttr, StudyAttr) for k, v in vars(group).items() if k.isupper()}
# Keys no other string in the driver could mean: never a literal outside the schema.
# (A ScoreResult field of the same name is the result's own schema, which a trial attr mirrors.)
DISTINCTIVE = {k for k in KEYS if "_" in k or ":" in k} - {"trial_dir"} - set(ScoreResult.__dataclass_fields__)
ATTR_HOLDERS = {"user_attrs", "system_attrs", "params"}  # t.user_attrs["x"], t.params.get("x"), "x" in t.params
SETTERS = {"set_user_attr": 0, "set_system_attr": 0, "suggest_float": 0, "suggest_int": 0,
           "suggest_categorical": 0, "set_trial_user_attr": 1, "set_trial_system_attr": 1,
           "set_study_user_attr": 1}


def _holder(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in ATTR_HOLDERS


def _key_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """String literals used as trial/study attribute keys or parameter names."""
    found = []
    for node in ast.walk(tree):
        keys: list[ast.AST] = []
        if isinstance(node, ast.Subscript) and _holder(node.value):
            keys.append(node.slice)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "get" and _holder(node.func.value) and node.args:
                keys.append(node.args[0])
            elif node.func.attr in SETTERS and len(node.args) > SETTERS[node.func.attr]:
                keys.append(node.args[SETTERS[node.func.attr]])
            elif node.func.attr == "enqueue_trial":
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    if isinstance(arg, ast.Dict):
                        keys.extend(k for k in arg.keys if k is not None)
        elif isinstance(node, ast.Compare) and any(_holder(c) for c in node.comparators):
            keys.append(node.left)
        found += [(k.lineno, k.value) for k in keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    return found


def test_no_attribute_key_or_parameter_name_is_spelled_outside_the_schema():
    offenders = []
    for path in sorted(OPTIMIZER.rglob("*.py")):
        if path == Path(trials.__file__).resolve():
            continue
        source = path.read_text()
        tree = ast.parse(source)
        offenders += [f"{path.relative_to(OPTIMIZER.parent)}:{line}: {key!r}" for line, key in _key_literals(tree)]
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in DISTINCTIVE:
                offenders.append(f"{path.relative_to(OPTIMIZER.parent)}:{node.lineno}: {node.value!r}")
    assert not offenders, "use the constants of optimizer/trials.py:\n" + "\n".join(offenders)


def test_the_scan_finds_what_it_must():
    tree = ast.parse('t.user_attrs["fail_reason"]; t.params.get("weight"); trial.set_user_attr("metrics", 1)\n'
                     's.set_trial_system_attr(i, "crn_seed", 2); "retry_of" in t.user_attrs\n'
                     'study.enqueue_trial({"weight": 0.5}, user_attrs={"baseline": True})')
    assert sorted(key for _, key in _key_literals(tree)) == sorted(
        ["fail_reason", "weight", "metrics", "crn_seed", "retry_of", "weight", "baseline"])


def test_keys_are_unique_per_kind():
    for group in (UserAttr, SystemAttr, StudyAttr):
        values = [v for k, v in vars(group).items() if k.isupper()]
        assert len(values) == len(set(values)), group.__name__


@pytest.fixture
def study() -> optuna.Study:
    return optuna.create_study(direction="maximize")


def test_record_reads_what_the_driver_writes(study):
    study.enqueue_trial({WEIGHT: 0.25, RATIO: 0.5}, user_attrs={UserAttr.RETRY_OF: 3, UserAttr.BASELINE: True})
    trial = study.ask()
    trial.suggest_float(WEIGHT, 0, 1)
    for key, value in {UserAttr.METRICS: {"accuracy": 0.75}, UserAttr.PER_CLASS_RECALL: {"fall": 0.5},
                       UserAttr.TIMINGS: {"render_s": 1.5}, UserAttr.SYNTHETIC_CLIPS: 4,
                       UserAttr.GENERATION_SEED: 11, UserAttr.SCORER_SEED: 12, UserAttr.MLFLOW_RUN: "abc",
                       UserAttr.WORKER: {"host": "h", "pid": 1}, UserAttr.HEARTBEAT: 5.0,
                       UserAttr.TRIAL_DIR: "/x/00000"}.items():
        trial.set_user_attr(key, value)
    study.tell(trial, 0.8)
    record = TrialRecord.from_frozen(study.trials[0])
    assert (record.weight, record.ratio, record.value) == (0.25, 0.5, 0.8)  # the ratio only enqueued, not suggested
    assert record.metrics == {"accuracy": 0.75} and record.per_class_recall == {"fall": 0.5}
    assert record.timings == {"render_s": 1.5} and record.synthetic_clips == 4
    assert (record.retry_of, record.baseline, record.generation_seed, record.scorer_seed) == (3, True, 11, 12)
    assert record.mlflow_run_id == "abc" and record.worker == {"host": "h", "pid": 1} and record.heartbeat == 5.0
    assert record.trial_dir == "/x/00000" and record.duration_s is not None and record.has_point


def test_record_of_a_failed_trial_without_a_point(study):
    trial = study.ask()
    trial.set_user_attr(UserAttr.FAIL_REASON, "boom")
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    record = TrialRecord.from_frozen(study.trials[0])
    assert record.fail_reason == "boom" and not record.has_point and record.retry_of is None and record.value is None
