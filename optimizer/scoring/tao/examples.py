"""The example specs committed under tao_specs/examples/: what a 2-class and a 5-class trial of
studies/fall_tao.yaml get with the NGC pretrained model (README "Running TAO") filled in, as kept on disk: container
paths of the Docker runtime, the encryption key masked.

    .venv/bin/python -m optimizer.scoring.tao.examples      # rewrite them
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from optimizer.scoring.tao.config import TaoConfig
from optimizer.scoring.tao.spec import EXAMPLES, REDACTED, REPO, SpecValues, Task, build_spec, render_spec

STUDY = REPO / "studies" / "fall_tao.yaml"
CLASSES = {2: ("fall", "walk"), 5: ("fall", "jump", "kick", "punch", "walk")}
# The README's pretrained model: ActionRecognitionNet trainable v1.0, trained on 5 HMDB classes, key in an env var.
PRETRAINED = {"pretrained_model_path": "resnet18_3d_rgb_hmdb5_32.tlt", "pretrained_num_classes": 5,
              "encryption_key_env": "TAO_ENCRYPTION_KEY"}
TASKS: tuple[Task, ...] = ("train", "evaluate")


def example_specs(study: Path = STUDY) -> dict[str, str]:
    """{file name: YAML text} for every example."""
    raw = yaml.safe_load(study.read_text())
    tao = TaoConfig.model_validate({**(raw["scorer"].get("tao") or {}), **PRETRAINED})
    seed = int(raw["scorer"].get("seed", 0))
    model = tao.pretrained_model_path
    out = {}
    for n, classes in CLASSES.items():
        values = SpecValues(
            label_map={c: i for i, c in enumerate(classes)},
            train_dir="/data/train", val_dir="/data/val", test_dir="/data/test", results_dir="/results",
            epochs=tao.epochs, batch_size=tao.batch_size, rgb_seq_length=tao.rgb_seq_length,
            input_size=tao.input_size, seed=seed,
            gpu_ids=tuple(range(len(tao.gpus))) if isinstance(tao.gpus, list) else (0,),
            pretrained_model_path=f"/pretrained/{model.name}" if model else None,
            pretrained_num_classes=tao.pretrained_num_classes,
            checkpoint=f"/results/train/model_epoch_{tao.epochs - 1:03d}.pth",
            overrides=dict(tao.spec_overrides),
        )
        for task in TASKS:
            key = REDACTED if tao.encryption_key_env else None
            header = (
                f"# {task} spec of a {n}-class trial of studies/fall_tao.yaml with the NGC pretrained model,\n"
                f"# as the TAO scorer keeps it (key masked). Made by `python -m optimizer.scoring.tao.examples`.\n"
            )
            out[f"{task}_{n}class.yaml"] = header + render_spec(build_spec(task, values, encryption_key=key))
    return out


def main(argv: list[str] | None = None) -> int:
    target = Path((argv or sys.argv[1:] or [str(EXAMPLES)])[0])
    target.mkdir(parents=True, exist_ok=True)
    for name, text in example_specs().items():
        (target / name).write_text(text)
        print(target / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
