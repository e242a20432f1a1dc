"""TAO specs: the schema, the templates filled per trial, overrides, the committed examples, the config section."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from optimizer.config import ConfigError, load_config
from optimizer.scoring.tao.examples import example_specs
from optimizer.scoring.tao.spec import (
    EXAMPLES,
    REDACTED,
    SCHEMA,
    Section,
    SpecError,
    SpecValues,
    build_spec,
    check_overrides,
    load_template,
    render_spec,
    validate_spec,
)

VALUES = SpecValues(label_map={"walk": 1, "fall": 0}, train_dir="/data/train", val_dir="/data/val",
                    test_dir="/data/test", results_dir="/results", epochs=5, batch_size=4, rgb_seq_length=8,
                    input_size=112, seed=7, checkpoint="/results/train/model_epoch_004.pth")


def keys_outside_schema(node: dict, section: Section = SCHEMA, prefix: str = "") -> list[str]:
    bad = []
    for key, value in node.items():
        entry = section.keys.get(key)
        if entry is None:
            bad.append(prefix + key)
        elif isinstance(entry, Section) and isinstance(value, dict):
            bad += keys_outside_schema(value, entry, f"{prefix}{key}.")
    return bad


def test_train_spec_carries_the_trial_values():
    spec = build_spec("train", VALUES, encryption_key="k3y")
    assert spec["dataset"]["label_map"] == {"fall": 0, "walk": 1}
    assert spec["dataset"]["train_dataset_dir"] == "/data/train" and spec["dataset"]["val_dataset_dir"] == "/data/val"
    assert spec["model"]["rgb_seq_length"] == 8 and spec["model"]["input_width"] == spec["model"]["input_height"] == 112
    assert spec["train"]["num_epochs"] == 5 and spec["train"]["checkpoint_interval"] == 5 and spec["train"]["seed"] == 7
    assert spec["dataset"]["batch_size"] == 4 and spec["train"]["optim"]["lr"] == 0.001
    assert "evaluate" not in spec and spec["encryption_key"] == "k3y"


def test_evaluate_spec_points_at_the_checkpoint_and_the_test_split():
    spec = build_spec("evaluate", VALUES)
    assert spec["evaluate"]["checkpoint"] == "/results/train/model_epoch_004.pth"
    assert spec["evaluate"]["test_dataset_dir"] == "/data/test" and "train" not in spec
    assert spec["model"] == build_spec("train", VALUES)["model"]  # the same network in both


def test_kept_specs_mask_the_key():
    spec = build_spec("train", VALUES, encryption_key="k3y-secret")
    assert "k3y-secret" not in render_spec(spec) and REDACTED in render_spec(spec)
    assert yaml.safe_load(render_spec(spec, redact=False))["encryption_key"] == "k3y-secret"


def test_overrides_reach_the_right_spec():
    values = SpecValues(**{**VALUES.__dict__, "overrides": {
        "train.optim.lr": 0.0005, "model.dropout_ratio": 0.5, "evaluate.video_eval_mode": "conv",
        "dataset.augmentation_config": {"horizontal_flip_prob": 0.0},
    }})
    train, evaluate = build_spec("train", values), build_spec("evaluate", values)
    assert train["train"]["optim"]["lr"] == 0.0005 and train["train"]["optim"]["momentum"] == 0.9
    assert train["model"]["dropout_ratio"] == evaluate["model"]["dropout_ratio"] == 0.5
    assert evaluate["evaluate"]["video_eval_mode"] == "conv" and "evaluate" not in train
    assert train["dataset"]["augmentation_config"]["horizontal_flip_prob"] == 0.0
    assert train["dataset"]["augmentation_config"]["train_crop_type"] == "no_crop"  # merged, not replaced


@pytest.mark.parametrize(("overrides", "message"), [
    ({"train.optim.lrr": 0.1}, r"unknown TAO spec key 'train\.optim\.lrr': train\.optim \(OptimConfig\) has .*lr,"),
    ({"model.backbon": "resnet_18"}, r"unknown TAO spec key 'model\.backbon'"),
    ({"trian.num_epochs": 3}, r"unknown TAO spec key 'trian\.num_epochs': \(top level\)"),
    ({"train.num_epochs": "ten"}, r"'train\.num_epochs': expected int, got str"),
    ({"train.optim": 0.1}, r"'train\.optim': expected a mapping \(OptimConfig\)"),
    ({"dataset.train_dataset_dir": "/elsewhere"}, r"'dataset\.train_dataset_dir': set by the driver"),
    ({"encryption_key": "abc"}, r"'encryption_key': set by the driver"),
    # Keys the driver sets from scorer settings and checks against (issue 15): refused, naming the setting to use.
    ({"dataset.batch_size": 16}, r"^spec key 'dataset\.batch_size' is set by the driver: use scorer\.tao\.batch_size"),
    ({"train.num_epochs": 3}, r"'train\.num_epochs' is set by the driver: use scorer\.tao\.epochs instead$"),
    ({"train.checkpoint_interval": 1}, r"'train\.checkpoint_interval' is set by the driver: use scorer\.tao\.epochs"),
    ({"model.input_width": 112}, r"'model\.input_width' is set by the driver: use scorer\.tao\.input_size"),
    ({"model.rgb_seq_length": 5}, r"'model\.rgb_seq_length' is set by the driver: use scorer\.tao\.rgb_seq_length"),
    ({"train.seed": 7}, r"'train\.seed' is set by the driver: use scorer\.seed instead"),
    ({"train.gpu_ids": [1]}, r"'train\.gpu_ids' is set by the driver: use scorer\.tao\.gpus"),
    ({"train": {"num_epochs": 3}}, r"'train' is set by the driver: use .*scorer\.tao\.epochs"),
    ({"model": {"dropout_ratio": 0.5}}, r"'model' is set by the driver: use scorer\.tao\.input_size and "),
])
def test_bad_override_is_rejected_naming_the_key(overrides, message):
    with pytest.raises(SpecError, match=message) as info:
        build_spec("train", SpecValues(**{**VALUES.__dict__, "overrides": overrides}))
    assert "\n" not in str(info.value) and "abc" not in str(info.value)


def test_tao_7_keys_are_accepted():
    """train.checkpointer.* and wandb.group/run_id, as nvidia-tao-pytorch 7.3.0's dataclasses have them."""
    overrides = {
        "train.checkpointer": {"enable_topk": True, "replace_periodic": False, "monitor": "val_acc", "mode": "max",
                               "save_top_k": 2, "filename": "model_best_{epoch:03d}", "dirpath": None,
                               "auto_insert_metric_name": False},
        "wandb.group": "fall", "wandb.run_id": "abc",
    }
    spec = build_spec("train", SpecValues(**{**VALUES.__dict__, "overrides": overrides}))
    assert spec["train"]["checkpointer"]["save_top_k"] == 2 and spec["wandb"]["run_id"] == "abc"
    with pytest.raises(SpecError, match=r"'train\.checkpointer\.save_top_k': expected int, got str"):
        check_overrides({"train.checkpointer.save_top_k": "two"})


def test_templates_keep_wandb_off():
    """TAO's default is wandb.enable: true, which logs wherever WANDB_API_KEY or ~/.netrc exists."""
    for task in ("train", "evaluate"):
        assert load_template(task)["wandb"] == {"enable": False}
        assert build_spec(task, SpecValues(**{**VALUES.__dict__, "checkpoint": "/c.pth"}))["wandb"]["enable"] is False


def test_a_spec_without_required_keys_is_refused():
    spec = build_spec("evaluate", VALUES)
    spec["evaluate"]["test_dataset_dir"] = None
    with pytest.raises(SpecError, match=r"'evaluate\.test_dataset_dir': required by TAO action_recognition"):
        validate_spec(spec, "evaluate")


def test_committed_examples_equal_the_generator_and_fit_the_schema():
    made = example_specs()
    assert sorted(made) == ["evaluate_2class.yaml", "evaluate_5class.yaml", "train_2class.yaml", "train_5class.yaml"]
    for name, text in made.items():
        committed = EXAMPLES / name
        assert committed.read_text() == text, f"{committed} is stale: python -m optimizer.scoring.tao.examples"
        spec = yaml.safe_load(text)
        assert keys_outside_schema(spec) == [], name
        task = name.split("_")[0]
        validate_spec(spec, task)
        assert spec["dataset"]["label_map"] and len(spec["dataset"]["label_map"]) == int(name[-11])
        if task == "evaluate":
            assert spec["evaluate"]["checkpoint"] and spec["evaluate"]["test_dataset_dir"] == "/data/test"
        assert spec["encryption_key"] == REDACTED


def test_templates_fit_the_schema():
    for task in ("train", "evaluate"):
        template = yaml.safe_load((EXAMPLES.parent / f"{task}.yaml").read_text())
        assert keys_outside_schema(template) == []


def write_study(tmp_path, scorer):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "target_class": "fall",
                                    "data": {"real": "generation/samples/data"}, "scorer": scorer}))
    return path


def test_fall_tao_study_is_valid():
    config = load_config("studies/fall_tao.yaml")
    assert config.scorer.kind == "tao" and config.render.size == 224 and config.render.format == "jpg"
    assert config.scorer.tao.runtime == "docker" and config.scorer.tao.image.endswith("tao-toolkit:6.26.3-pyt")
    assert load_config("studies/fall_tao.yaml", **{"scorer.tao.runtime": "local"}).scorer.tao.runtime == "local"


@pytest.mark.parametrize(("scorer", "message"), [
    ({"kind": "tao", "tao": {"spec_overrides": {"train.optim.lrr": 1}}},
     r"scorer\.tao\.spec_overrides: unknown TAO spec key 'train\.optim\.lrr'"),
    ({"kind": "tao", "tao": {"runtime": "podman"}}, r"scorer\.tao\.runtime: unknown runtime 'podman' \(known: docker, apptainer, local\)"),
    ({"kind": "tao", "tao": {"gpu": [0]}}, r"scorer\.tao\.gpu: unknown key"),
    ({"kind": "tao", "tao": {"gpus": []}}, r"scorer\.tao\.gpus: .*non-empty list"),
    ({"kind": "tao", "tao": {"spec_overrides": {"dataset.batch_size": 16}}},
     r"scorer\.tao\.spec_overrides: spec key 'dataset\.batch_size' is set by the driver: use scorer\.tao\.batch_size"),
    ({"kind": "tao", "tao": {"encryption_key_env": "nvidia tao!"}}, r"encryption_key_env: must be the NAME"),
    ({"kind": "tao", "epochs": 3}, r"scorer: epochs: an embedded-scorer setting"),
    ({"kind": "embedded", "tao": {"epochs": 3}}, r"scorer: tao: only read when scorer\.kind is 'tao'"),
])
def test_bad_tao_section_is_one_line_naming_the_key(tmp_path, scorer, message):
    path = write_study(tmp_path, scorer)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)
    assert "nvidia tao!" not in str(info.value)  # a pasted key is never echoed


def test_kind_tao_without_a_section_takes_the_defaults(tmp_path):
    config = load_config(write_study(tmp_path, {"kind": "tao"}))
    assert config.scorer.tao.runtime == "docker" and config.scorer.tao.epochs == 20


def test_examples_pass_the_standins_own_schema(standin, tmp_path):
    """A second encoding of TAO's schema (the stand-in's, transcribed separately) accepts every example key."""
    for name in sorted(example_specs()):
        task = name.split("_")[0]
        run = subprocess.run([str(standin), task, "-e", str(EXAMPLES / name), f"results_dir={tmp_path / name}"],
                             capture_output=True, text=True)
        # Past the schema, TAO writes the resolved spec to <results_dir>/<task>/experiment.yaml.
        assert (tmp_path / name / task / "experiment.yaml").is_file() and "not in '" not in run.stdout, run.stdout
