"""Run NVIDIA's action_recognition (the CPU venv of testing/tao/cpu) on the micro dataset and keep exactly what it
printed and wrote: the fixtures under tests/optimizer/scoring/tao/fixtures/ come from here.

    python -m testing.tao.capture BIN_DIR OUT_DIR [--work DIR]

BIN_DIR is what testing/tao/cpu/build_venv.py prints. Runs, each with its raw output (progress bars' \\r kept) in
OUT_DIR/<name>.log and the status.json it wrote in OUT_DIR/<name>.status.json:
    train            2 epochs, checkpoint every epoch (the driver's spec, so the checkpoint names are TAO's)
    evaluate         the final checkpoint on the test split
    inference        the final checkpoint on the test videos (per-video `<path> : [<label>, ...]` lines)
    train_fail_batch batch size larger than the train split: "Dataset size (N) is smaller than ..."
    train_fail_lr    lr_scheduler: Cosine: "Parameter validation error: Only [AutoReduce, MultiStep] ..."
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from optimizer.scoring.tao.spec import SpecValues, build_spec, render_spec
from testing.tao import micro

# workers 1: TAO's loaders keep their workers alive (0 is refused with persistent workers); more only costs start-up.
SMALL = {"dataset.workers": 1, "dataset.clips_per_video": 1, "evaluate.video_num_segments": 2}
INPUT_SIZE = 64


def tao_env(bin_dir: Path) -> dict[str, str]:
    """The environment the real lane runs TAO with: its venv's bin first on PATH, no GPU, nothing sent anywhere."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env["CUDA_VISIBLE_DEVICES"] = ""
    env["WANDB_MODE"] = "disabled"
    env.pop("PYTHONPATH", None)  # the TAO venv must not see this project's packages
    return env


def run_tao(bin_dir: Path, argv: list[str], log: Path, *, cwd: Path, timeout: float = 900) -> int:
    """Run `action_recognition ...` and write its output byte for byte to `log`."""
    with log.open("wb") as out:
        done = subprocess.run([str(bin_dir / "action_recognition"), *argv], stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=tao_env(bin_dir), cwd=cwd, timeout=timeout)
    return done.returncode


def write_spec(path: Path, task: str, values: SpecValues, extra: Mapping[str, Any] | None = None) -> Path:
    spec = build_spec("evaluate" if task == "inference" else task, values)  # type: ignore[arg-type]
    for dotted, value in (extra or {}).items():
        *parents, leaf = dotted.split(".")
        node = spec
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    path.write_text(render_spec(spec))
    return path


def capture(bin_dir: Path, out: Path, work: Path) -> dict[str, int]:
    """Every run above; returns {name: exit code}."""
    out.mkdir(parents=True, exist_ok=True)
    splits = micro.write_dataset(work / "data", train=4, val=2, test=3, frames=4, size=INPUT_SIZE)
    infer = work / "data" / "inference"
    for video in sorted(splits["test"].glob("*/*")):
        shutil.copytree(video, infer / video.name)
    specs = work / "specs"
    specs.mkdir()
    codes: dict[str, int] = {}

    def values(name: str, **changes: Any) -> SpecValues:
        base = dict(label_map=micro.LABEL_MAP, train_dir=str(splits["train"]), val_dir=str(splits["val"]),
                    test_dir=str(splits["test"]), results_dir=str(work / name), epochs=2, batch_size=2,
                    rgb_seq_length=3, input_size=INPUT_SIZE, seed=0, overrides=dict(SMALL))
        return SpecValues(**{**base, **changes})

    def job(name: str, task: str, spec: Path, results: Path) -> None:
        codes[name] = run_tao(bin_dir, [task, "-e", str(spec), f"results_dir={results}"], out / f"{name}.log",
                              cwd=work)
        status = results / task / "status.json"
        if status.is_file():
            shutil.copy(status, out / f"{name}.status.json")

    ok = work / "ok"
    # checkpoint_interval 1 (the driver sets it to the epoch count): TAO's checkpoint names for every epoch.
    job("train", "train", write_spec(specs / "train.yaml", "train", values("ok"), {"train.checkpoint_interval": 1}),
        ok)
    checkpoint = sorted((ok / "train").glob("model_epoch_*.pth"))[-1]
    evaluate_values = values("ok", checkpoint=str(checkpoint))
    job("evaluate", "evaluate", write_spec(specs / "evaluate.yaml", "evaluate", evaluate_values), ok)
    inference_spec = write_spec(specs / "inference.yaml", "inference", evaluate_values, {
        "inference.checkpoint": str(checkpoint), "inference.inference_dataset_dir": str(infer),
        "inference.batch_size": 1, "inference.video_inf_mode": "center", "inference.video_num_segments": 2,
    })
    job("inference", "inference", inference_spec, ok)
    batch = work / "fail_batch"
    job("train_fail_batch", "train", write_spec(specs / "fail_batch.yaml", "train",
                                                values("fail_batch", batch_size=16)), batch)
    lr = work / "fail_lr"
    job("train_fail_lr", "train", write_spec(specs / "fail_lr.yaml", "train", values(
        "fail_lr", overrides={**SMALL, "train.optim.lr_scheduler": "Cosine"})), lr)
    listed = [f"{p.name}{' -> ' + os.readlink(p) if p.is_symlink() else ''}\n"
              for p in (ok / "train").iterdir() if p.suffix == ".pth"]
    (out / "train.checkpoints.txt").write_text("".join(listed))
    return codes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bin_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="tao-capture-"))
    codes = capture(args.bin_dir.resolve(), args.out.resolve(), work.resolve())
    for name, code in codes.items():
        print(f"{name}: exit {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
