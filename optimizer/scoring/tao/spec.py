"""TAO action_recognition experiment specs: the schema (allowed keys and value types), the templates in tao_specs/, and
the per-trial train/evaluate specs built from them.

The schema is TAO 5.5+'s PyTorch ExperimentConfig for action_recognition (nvidia_tao_pytorch ... action_recognition/
config/default_config.py with the common TrainConfig/EvaluateConfig), plus the keys 6.x/7.x added (model_name,
train.checkpoint_interval_unit, train.checkpointer.*, evaluate.trt_engine, wandb.group, wandb.run_id: checked
against nvidia-tao-pytorch 7.3.0's dataclasses). TAO rejects any other key at once ("Key 'foo' not in
'ARTrainExpConfig'", rc 1, no status.json), so the driver checks the same schema before launching anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from optimizer.scoring.protocol import ScoringError
from optimizer.scoring.tao.errors import MASK as REDACTED

REPO = Path(__file__).resolve().parents[3]
TEMPLATES = REPO / "tao_specs"
EXAMPLES = TEMPLATES / "examples"
Task = Literal["train", "evaluate", "inference"]


class SpecError(ScoringError):
    """A spec key or value TAO would reject; the message names the dotted key (never a secret value)."""


@dataclass(frozen=True)
class Section:
    """One dataclass of TAO's schema: its class name (TAO names it in errors) and its keys."""

    name: str
    keys: dict[str, str | Section]


# Leaf types: "int", "float", "str", "bool", "list[int]", "list[float]", "list[str]", "dict[str,int]"; a trailing "?"
# means null is allowed (Optional in TAO). "str!" is a required string (TAO's MISSING) for the task that uses it.
_CUDNN = Section("CuDNNConfig", {"benchmark": "bool", "deterministic": "bool"})
_WANDB = Section("WandBConfig", {
    "enable": "bool", "project": "str", "entity": "str?", "group": "str?", "tags": "list[str]", "reinit": "bool",
    "sync_tensorboard": "bool", "save_code": "bool", "name": "str", "run_id": "str",
})
# TAO 7.x: best-checkpoint saving beside the periodic one (config/common/common_config.py CheckpointerConfig).
_CHECKPOINTER = Section("CheckpointerConfig", {
    "enable_topk": "bool", "replace_periodic": "bool", "monitor": "str?", "mode": "str?", "save_top_k": "int",
    "filename": "str", "dirpath": "str?", "auto_insert_metric_name": "bool",
})
_MODEL = Section("ARModelConfig", {
    "model_type": "str", "backbone": "str", "input_type": "str", "of_seq_length": "int",
    "of_pretrained_model_path": "str?", "of_pretrained_num_classes": "int", "rgb_seq_length": "int",
    "rgb_pretrained_model_path": "str?", "rgb_pretrained_num_classes": "int", "num_fc": "int",
    "joint_pretrained_model_path": "str?", "sample_strategy": "str", "sample_rate": "int",
    "imagenet_pretrained": "bool", "dropout_ratio": "float", "input_width": "int", "input_height": "int",
})
_AUGMENTATION = Section("ARAugmentationConfig", {
    "train_crop_type": "str", "scales": "list[float]", "horizontal_flip_prob": "float",
    "rgb_input_mean": "list[float]", "rgb_input_std": "list[float]", "of_input_mean": "list[float]",
    "of_input_std": "list[float]", "val_center_crop": "bool", "crop_smaller_edge": "int",
})
_DATASET = Section("ARDatasetConfig", {
    "train_dataset_dir": "str?", "val_dataset_dir": "str?", "label_map": "dict[str,int]?", "batch_size": "int",
    "workers": "int", "clips_per_video": "int", "augmentation_config": _AUGMENTATION,
})
_OPTIM = Section("OptimConfig", {
    "lr": "float", "momentum": "float", "weight_decay": "float", "lr_scheduler": "str", "lr_monitor": "str",
    "patience": "int", "min_lr": "float", "lr_steps": "list[int]", "lr_decay": "float",
})
_TRAIN = Section("ARTrainExpConfig", {
    "num_gpus": "int", "gpu_ids": "list[int]", "num_nodes": "int", "seed": "int", "cudnn": _CUDNN,
    "num_epochs": "int", "checkpoint_interval": "int", "checkpoint_interval_unit": "str",
    "validation_interval": "int", "resume_training_checkpoint_path": "str?", "results_dir": "str?",
    "optim": _OPTIM, "clip_grad_norm": "float", "checkpointer": _CHECKPOINTER,
})
_EVALUATE = Section("AREvalExpConfig", {
    "num_gpus": "int", "gpu_ids": "list[int]", "num_nodes": "int", "checkpoint": "str!", "trt_engine": "str?",
    "results_dir": "str?", "test_dataset_dir": "str!", "batch_size": "int", "video_eval_mode": "str",
    "video_num_segments": "int",
})
_INFERENCE = Section("ARInferenceExpConfig", {
    "num_gpus": "int", "gpu_ids": "list[int]", "num_nodes": "int", "checkpoint": "str", "trt_engine": "str?",
    "results_dir": "str?", "inference_dataset_dir": "str", "batch_size": "int", "video_inf_mode": "str",
    "video_num_segments": "int",
})
_EXPORT = Section("ARExportExpConfig", {
    "checkpoint": "str", "results_dir": "str?", "onnx_file": "str?", "gpu_id": "int", "batch_size": "int",
})
SCHEMA = Section("ExperimentConfig", {
    "model_name": "str?", "encryption_key": "str?", "results_dir": "str?", "wandb": _WANDB, "model": _MODEL,
    "dataset": _DATASET, "train": _TRAIN, "evaluate": _EVALUATE, "inference": _INFERENCE, "export": _EXPORT,
})

# Keys the driver sets for every trial: an override would point TAO at the wrong data, results or checkpoint.
DRIVER_KEYS = frozenset({
    "results_dir", "encryption_key", "dataset.train_dataset_dir", "dataset.val_dataset_dir", "dataset.label_map",
    "train.results_dir", "evaluate.results_dir", "evaluate.checkpoint", "evaluate.test_dataset_dir",
    "train.resume_training_checkpoint_path", "inference.checkpoint", "inference.inference_dataset_dir",
    "inference.results_dir",
})
# Keys the driver sets from scorer.tao (or scorer) settings and relies on in its own checks (the batch size against
# each split, the epoch count against the checkpoint it scores): overriding them would be silently half-applied, so
# they are refused with the setting to use instead.
SETTING_KEYS: dict[str, str] = {
    "dataset.batch_size": "scorer.tao.batch_size",
    "train.num_epochs": "scorer.tao.epochs",
    "train.checkpoint_interval": "scorer.tao.epochs (the driver keeps only the final epoch's checkpoint)",
    "train.checkpoint_interval_unit": "scorer.tao.epochs (the driver keeps only the final epoch's checkpoint)",
    "model.input_width": "scorer.tao.input_size",
    "model.input_height": "scorer.tao.input_size",
    "model.rgb_seq_length": "scorer.tao.rgb_seq_length",
    "model.rgb_pretrained_model_path": "scorer.tao.pretrained_model_path",
    "model.rgb_pretrained_num_classes": "scorer.tao.pretrained_num_classes",
    "train.seed": "scorer.seed",
    "train.num_gpus": "scorer.tao.gpus",
    "train.gpu_ids": "scorer.tao.gpus",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "train": ("results_dir", "dataset.label_map", "dataset.train_dataset_dir", "dataset.val_dataset_dir"),
    "evaluate": ("results_dir", "dataset.label_map", "evaluate.checkpoint", "evaluate.test_dataset_dir"),
    "inference": ("results_dir", "dataset.label_map", "inference.checkpoint", "inference.inference_dataset_dir"),
}


def lookup(dotted: str) -> str | Section:
    """The schema entry of a dotted key; SpecError naming the key (and what its section allows) if there is none."""
    node: str | Section = SCHEMA
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, Section):
            raise SpecError(f"spec key {dotted!r}: {'.'.join(parts[:i])} is a value, not a section")
        if part not in node.keys:
            where = ".".join(parts[:i]) or "(top level)"
            raise SpecError(
                f"unknown TAO spec key {dotted!r}: {where} ({node.name}) has {', '.join(sorted(node.keys))}"
            )
        node = node.keys[part]
    return node


def _type_ok(kind: str, value: Any) -> bool:
    kind = kind.rstrip("!")
    if kind.endswith("?"):
        if value is None:
            return True
        kind = kind[:-1]
    scalar = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
    }
    if kind in scalar:
        return scalar[kind](value)
    if kind.startswith("list["):
        return isinstance(value, list) and all(scalar[kind[5:-1]](v) for v in value)
    if kind == "dict[str,int]":
        return isinstance(value, dict) and all(isinstance(k, str) and scalar["int"](v) for k, v in value.items())
    raise AssertionError(f"schema type {kind!r}")


def check_value(dotted: str, value: Any) -> None:
    """Raise SpecError unless `value` fits the schema at `dotted` (a section takes a mapping, checked recursively).
    Messages name the type, never the value: a value may be a secret."""
    node = lookup(dotted)
    if isinstance(node, Section):
        if not isinstance(value, Mapping):
            raise SpecError(f"spec key {dotted!r}: expected a mapping ({node.name}), got {type(value).__name__}")
        for key, sub in value.items():
            check_value(f"{dotted}.{key}", sub)
        return
    if node.endswith("!") and value in (None, ""):
        raise SpecError(f"spec key {dotted!r}: required by TAO action_recognition, not set")
    if not _type_ok(node, value):
        raise SpecError(f"spec key {dotted!r}: expected {node.rstrip('!')}, got {type(value).__name__}")


def check_overrides(overrides: Mapping[str, Any]) -> None:
    """Every override is a dotted key of the schema with a value of its type, and not one the driver owns."""
    for dotted, value in overrides.items():
        check_value(dotted, value)
        instead = sorted({SETTING_KEYS[k] for k in SETTING_KEYS if k == dotted or k.startswith(f"{dotted}.")})
        if instead:
            raise SpecError(f"spec key {dotted!r} is set by the driver: use {' and '.join(instead)} instead")
        owned = [k for k in DRIVER_KEYS if k == dotted or k.startswith(f"{dotted}.")]
        if owned:
            raise SpecError(f"spec key {dotted!r}: set by the driver for every trial ({', '.join(sorted(owned))})")


def validate_spec(spec: Mapping[str, Any], task: Task) -> None:
    """The whole spec fits the schema and carries the keys TAO requires for `task`."""
    for key, value in spec.items():
        check_value(key, value)
    for dotted in REQUIRED[task]:
        node: Any = spec
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node in (None, "", {}):
            raise SpecError(f"spec key {dotted!r}: required by TAO action_recognition {task}, not set")


def _set(spec: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = spec
    for part in parents:
        node = node.setdefault(part, {})
    if isinstance(value, Mapping) and isinstance(node.get(leaf), dict):
        for key, sub in value.items():
            _set(node, f"{leaf}.{key}", sub)
    else:
        node[leaf] = value


@dataclass(frozen=True)
class SpecValues:
    """What a trial puts into its specs. Paths are as the TAO process sees them (container paths, or host paths for
    the local runtime). gpu_ids are the ids inside the container (a container given GPUs 2,3 sees them as 0,1)."""

    label_map: dict[str, int]
    train_dir: str
    val_dir: str
    test_dir: str
    results_dir: str
    epochs: int = 20
    batch_size: int = 32
    rgb_seq_length: int = 3
    input_size: int = 224
    seed: int = 1234
    gpu_ids: tuple[int, ...] = (0,)
    pretrained_model_path: str | None = None
    pretrained_num_classes: int = 0
    checkpoint: str | None = None  # evaluate and inference
    inference_dir: str | None = None  # inference only: a folder of videos (TAO's inference reads no class folders)
    overrides: dict[str, Any] = field(default_factory=dict)


def load_template(task: Task) -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES / f"{task}.yaml").read_text())


def build_spec(task: Task, values: SpecValues, *, encryption_key: str | None = None) -> dict[str, Any]:
    """The spec for `task`: the template, the trial's values, then scorer.tao.spec_overrides (train.* keys only
    reach the train spec, evaluate.* only the evaluate spec, inference.* only the inference spec, the rest all).
    Validated against the schema."""
    spec = load_template(task)
    driver: dict[str, Any] = {
        "results_dir": values.results_dir,
        "encryption_key": encryption_key,
        "model.rgb_seq_length": values.rgb_seq_length,
        "model.input_width": values.input_size,
        "model.input_height": values.input_size,
        "model.rgb_pretrained_model_path": values.pretrained_model_path,
        "model.rgb_pretrained_num_classes": values.pretrained_num_classes,
        "dataset.label_map": dict(sorted(values.label_map.items(), key=lambda kv: kv[1])),
        "dataset.batch_size": values.batch_size,
    }
    if task == "train":
        driver.update({
            "dataset.train_dataset_dir": values.train_dir,
            "dataset.val_dataset_dir": values.val_dir,
            "train.num_epochs": values.epochs,
            # Only the final checkpoint is saved: ~90 MB each, and the trial evaluates the final one.
            "train.checkpoint_interval": values.epochs,
            "train.seed": values.seed,
            "train.num_gpus": len(values.gpu_ids),
            "train.gpu_ids": list(values.gpu_ids),
        })
    else:
        if values.checkpoint is None:
            raise SpecError(f"spec key '{task}.checkpoint': required by TAO action_recognition {task}, not set")
        if task == "evaluate":
            driver.update({"evaluate.checkpoint": values.checkpoint, "evaluate.test_dataset_dir": values.test_dir})
        else:
            driver.update({"inference.checkpoint": values.checkpoint,
                           "inference.inference_dataset_dir": values.inference_dir})
    for dotted, value in driver.items():
        _set(spec, dotted, value)
    check_overrides(values.overrides)
    others = {"train", "evaluate", "inference"} - {task}
    for dotted, value in values.overrides.items():
        if dotted.split(".")[0] not in others:
            _set(spec, dotted, value)
    validate_spec(spec, task)
    return spec


class _SpecDumper(yaml.SafeDumper):
    """Sections as blocks, lists inline ([5, 15, 20]), as TAO's own spec files are written."""


_SpecDumper.add_representer(
    list, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)


def render_spec(spec: Mapping[str, Any], *, redact: bool = True) -> str:
    """YAML text of a spec. redact=True (anything kept on disk) masks the encryption key; False only for the
    short-lived file TAO reads."""
    data = dict(spec)
    if redact and data.get("encryption_key"):
        data["encryption_key"] = REDACTED
    return yaml.dump(data, Dumper=_SpecDumper, sort_keys=False, default_flow_style=False, width=120)
