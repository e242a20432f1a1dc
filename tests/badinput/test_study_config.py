"""Bad study configs and options of the study commands (optimize, setup, worker, status, select, export, dashboard):
each fails before anything is created (no studies/<name>/, no study.db, no pair bank) with one line naming the file
and the key (or the option)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD = "target_class: fall\ndata:\n  classes: [fall, jump, punch, walk]\n"


def study(tmp: Path, text: str = GOOD, name: str = "s") -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(text)
    return path


def with_(extra: str, base: str = GOOD) -> Callable:
    """A row's yaml: the good config plus `extra` (YAML text; later sections extend, so keys must be new)."""
    return lambda tmp: study(tmp, base + extra)


def optimize(make_yaml, *options: str):
    return lambda tmp: ["optimize", make_yaml(tmp), "--studies-dir", tmp / "studies", "--no-tracking", *options]


def one_class_folder(tmp: Path) -> Path:
    folder = tmp / "real"
    folder.mkdir()
    for name in ("fall_Boxing_Toes_00.npz", "fall_Boxing_Toes_01.npz", "fall_humanoid3d_getup_facedown_00.npz"):
        (folder / name).write_bytes((REPO / "generation" / "samples" / "data" / name).read_bytes())
    return folder


def few_clips_folder(tmp: Path) -> Path:
    """Two fall clips and three jump clips: fall cannot be split train/val/test."""
    folder = tmp / "few"
    folder.mkdir()
    samples = REPO / "generation" / "samples" / "data"
    for name in ("fall_Boxing_Toes_00.npz", "fall_Boxing_Toes_01.npz", "jump_01_01_00.npz", "jump_01_01_01.npz",
                 "jump_01_01_02.npz"):
        (folder / name).write_bytes((samples / name).read_bytes())
    return folder


def real_at(folder_of) -> Callable:
    return lambda tmp: study(tmp, f"target_class: fall\ndata:\n  real: {folder_of(tmp)}\n")


def studies_repo(tmp: Path):
    return [REPO / "studies"]  # a row without --studies-dir must not create anything in the repository either

Y = "{tmp}/s.yaml"
ROWS = {
    # the file itself
    "config-missing": (lambda tmp: ["optimize", tmp / "nope.yaml", "--studies-dir", tmp / "studies"],
                          ("{tmp}/nope.yaml", "file")),
    "config-yaml-syntax": (optimize(with_("render: [unclosed\n")), (Y, "yaml")),
    "config-top-level-list": (optimize(lambda tmp: study(tmp, "- a\n- b\n")), (Y, "(top level)")),
    "config-top-level-scalar": (optimize(lambda tmp: study(tmp, "just words\n")), (Y, "(top level)")),
    # keys and values
    "unknown-top-key": (optimize(with_("colour: red\n")), (Y, "colour", "unknown key")),
    "unknown-nested-key": (optimize(with_("render:\n  colour: red\n")), (Y, "render.colour", "unknown key")),
    "target-class-missing": (optimize(lambda tmp: study(tmp, "name: s\n")), (Y, "target_class")),
    "target-class-not-in-classes": (optimize(with_("", "target_class: kick\ndata:\n  classes: [fall, jump]\n")),
                                       (Y, "target_class", "kick")),
    "target-class-without-clips": (optimize(lambda tmp: study(tmp, "target_class: dance\n")),
                                      ("target_class", "dance")),
    "class-option-unknown": (optimize(with_(""), "--class", "kick"), (Y, "target_class", "kick")),
    "data-real-missing": (optimize(lambda tmp: study(tmp, "target_class: fall\ndata:\n  real: /no/such/dir\n")),
                             (Y, "data.real", "/no/such/dir")),
    "data-synthetic-missing": (optimize(with_("  synthetic: /no/such/motions\n")),
                                  (Y, "data.synthetic", "/no/such/motions")),
    "data-classes-unknown-class": (optimize(with_("", "target_class: fall\ndata:\n  classes: [fall, dance]\n")),
                                      ("data.classes", "dance")),
    "data-classes-not-a-list": (optimize(with_("", "target_class: fall\ndata:\n  classes: 7\n")),
                                   (Y, "data.classes")),
    "name-with-slash": (optimize(with_("name: ../escape\n")), (Y, "name")),
    "name-empty": (optimize(with_("name: ''\n")), (Y, "name")),
    "blend-method-unknown": (optimize(with_("blend_method: slerp\n")), (Y, "blend_method", "slerp")),
    "metric-unknown": (optimize(with_("metric: f1\n")), (Y, "metric", "f1")),
    "pairs-mode-unknown": (optimize(with_("pairs:\n  mode: synth-synth\n")), (Y, "pairs.mode")),
    "pairs-num-pairs-zero": (optimize(with_("pairs:\n  num_pairs: 0\n")), (Y, "pairs.num_pairs")),
    "pairs-fps-zero": (optimize(with_("pairs:\n  fps: 0\n")), (Y, "pairs.fps")),
    "render-size-small": (optimize(with_("render:\n  size: 8\n")), (Y, "render.size")),
    "render-size-string": (optimize(with_("render:\n  size: big\n")), (Y, "render.size")),
    "render-format-gif": (optimize(with_("render:\n  format: gif\n")), (Y, "render.format")),
    "render-appearance-unknown": (optimize(with_("render:\n  appearance: weird\n")), (Y, "render.appearance")),
    "render-body-unknown": (optimize(with_("render:\n  body: robot\n")), (Y, "render.body")),
    "render-smpl-dir-for-mannequin": (optimize(with_("render:\n  smpl_model_dir: /tmp\n")),
                                         (Y, "render", "smpl_model_dir")),
    "render-smpl-without-model": (optimize(with_("render:\n  body: smpl\n  smpl_model_dir: /no/such/smpl\n")),
                                     (Y, "render", "smpl_model_dir")),
    "render-views-per-clip-zero": (optimize(with_("render:\n  views_per_clip: 0\n")), (Y, "render.views_per_clip")),
    "search-weight-outside-unit": (optimize(with_("search:\n  weight: [0.5, 1.5]\n")), (Y, "search.weight")),
    "search-weight-reversed": (optimize(with_("search:\n  weight: [0.8, 0.2]\n")), (Y, "search.weight")),
    "search-weight-one-value": (optimize(with_("search:\n  weight: [0.5]\n")), (Y, "search.weight")),
    "search-ratio-negative": (optimize(with_("search:\n  ratio: [-1, 2]\n")), (Y, "search.ratio")),
    "search-sampler-unknown": (optimize(with_("search:\n  sampler: cmaes\n")), (Y, "search.sampler", "cmaes")),
    "search-pruner-unknown": (optimize(with_("search:\n  pruner: asha\n")), (Y, "search.pruner")),
    "search-trials-zero": (optimize(with_("search:\n  trials: 0\n")), (Y, "search.trials")),
    "search-trials-string": (optimize(with_("search:\n  trials: many\n")), (Y, "search.trials")),
    "search-spsa-start-with-init": (optimize(with_("search:\n  spsa:\n    start: [0.5, 1.0]\n")),
                                       (Y, "search.spsa", "start")),
    "search-spsa-probe-too-big": (optimize(with_("search:\n  spsa:\n    probe: 0.9\n")),
                                     (Y, "search.spsa.probe")),
    "search-legacy-start-outside": (
        optimize(with_("search:\n  weight: [0.2, 0.4]\n  legacy:\n    start: 0.9\n")), (Y, "search.legacy", "start")),
    "search-final-selection-one-seed": (optimize(with_("search:\n  final_selection:\n    seeds: 1\n")),
                                           (Y, "search.final_selection.seeds")),
    "scorer-kind-unknown": (optimize(with_("scorer:\n  kind: sklearn\n")), (Y, "scorer.kind", "sklearn")),
    "scorer-tao-section-for-embedded": (optimize(with_("scorer:\n  tao: {}\n")), (Y, "scorer", "tao")),
    "scorer-embedded-key-for-tao": (optimize(with_("scorer:\n  kind: tao\n  epochs: 3\n")), (Y, "scorer", "epochs")),
    "scorer-epochs-zero": (optimize(with_("scorer:\n  epochs: 0\n")), (Y, "scorer.epochs")),
    "scorer-lr-negative": (optimize(with_("scorer:\n  lr: -0.1\n")), (Y, "scorer.lr")),
    "tracking-previews-too-many": (optimize(with_("tracking:\n  previews: 99\n")), (Y, "tracking.previews")),
    "keep-trial-data-not-bool": (optimize(with_("keep_trial_data: maybe\n")), (Y, "keep_trial_data")),
    "split-seed-not-int": (optimize(with_("split_seed: 1.5\n")), (Y, "split_seed")),
    # issue 16, item 6: found only after study.db and the pair bank existed, or never
    "render-real-views-unknown": (optimize(with_("render:\n  real_views: front,sideways\n")),
                                     (Y, "render.real_views", "sideways")),
    "render-synthetic-views-random-0": (optimize(with_("render:\n  synthetic_views: front,random:0\n")),
                                           (Y, "render.synthetic_views", "random:0")),
    "data-classes-one-class": (optimize(with_("", "target_class: fall\ndata:\n  classes: [fall]\n")),
                                  (Y, "data.classes")),
    "data-real-one-class": (optimize(real_at(one_class_folder)), ("{tmp}/real", "data.real", "one class")),
    # issue 16, item 8: "greater than or equal to 16" for a YAML boolean; messages without file or key
    "render-size-yes": (optimize(with_("render:\n  size: yes\n")), (Y, "render.size", "integer")),
    "search-trials-yes": (optimize(with_("search:\n  trials: yes\n")), (Y, "search.trials", "integer")),
    "scorer-lr-no": (optimize(with_("scorer:\n  lr: no\n")), (Y, "scorer.lr", "number")),
    "data-real-empty-folder": (optimize(real_at(lambda tmp: (tmp / "empty").mkdir() or tmp / "empty")),
                               ("{tmp}/empty", "data.real", "no pose files")),
    "data-real-too-few-clips": (optimize(real_at(few_clips_folder)), ("{tmp}/few", "data.real", "at least 3")),
    # options of optimize
    "option-device-garbage": (optimize(with_(""), "--device", "gpu7"), ("--device", "gpu7")),
    "option-device-no-such-cuda": (optimize(with_(""), "--device", "cuda:99"), ("--device", "cuda:99")),
    "option-trials-zero": (optimize(with_(""), "--trials", "0"), ("--trials",)),
    "option-trials-not-a-number": (optimize(with_(""), "--trials", "lots"), ("--trials",)),
    "option-runtime-unknown": (optimize(with_(""), "--runtime", "podman"), ("--runtime", "podman")),
    "option-runtime-for-embedded": (optimize(with_(""), "--runtime", "docker"), ("--runtime", Y)),
    "option-unknown": (optimize(with_(""), "--trails", "3"), ("--trails",)),
    "no-study-file": (lambda tmp: ["optimize"], ("study_file",)),
    # the other study commands
    "setup-device-garbage": (lambda tmp: ["setup", study(tmp), "--studies-dir", tmp / "st", "--device", "tpu"],
                                ("--device", "tpu")),
    "setup-unknown-key": (lambda tmp: ["setup", with_("colour: red\n")(tmp), "--studies-dir", tmp / "st"],
                             (Y, "colour")),
    "worker-gpu-negative": (lambda tmp: ["worker", study(tmp), "--studies-dir", tmp / "st", "--gpu", "-1"],
                               ("--gpu",)),
    "worker-gpu-absent": (lambda tmp: ["worker", study(tmp), "--studies-dir", tmp / "st", "--gpu", "99"],
                             ("--gpu", "cuda:99")),
    "worker-threads-zero": (lambda tmp: ["worker", study(tmp), "--studies-dir", tmp / "st", "--threads", "0"],
                               ("--threads",)),
    "select-top-zero": (lambda tmp: ["select", study(tmp), "--studies-dir", tmp / "st", "--top", "0"], ("--top",)),
    "select-one-seed": (lambda tmp: ["select", study(tmp), "--studies-dir", tmp / "st", "--seeds", "1"],
                           ("--seeds",)),
    "select-no-study": (lambda tmp: ["select", study(tmp), "--studies-dir", tmp / "st"], ("{tmp}/st/s", "study")),
    "export-no-study": (lambda tmp: ["export", study(tmp), "--out", tmp / "ds", "--studies-dir", tmp / "st"],
                           ("{tmp}/st/s", "study")),
    "export-device-garbage": (
        lambda tmp: ["export", study(tmp), "--out", tmp / "ds", "--studies-dir", tmp / "st", "--device", "gpu"],
        ("--device",)),
    "status-no-study": (lambda tmp: ["status", "nosuch", "--studies-dir", tmp / "st"], ("{tmp}/st/nosuch", "study")),
    "status-bad-yaml": (lambda tmp: ["status", with_("colour: red\n")(tmp), "--studies-dir", tmp / "st"],
                           (Y, "colour")),
    "dashboard-no-store": (lambda tmp: ["dashboard", "nosuch", "--studies-dir", tmp / "st"],
                              ("{tmp}/st/nosuch/mlflow.db", "tracking store")),
    "dashboard-port-not-a-number": (lambda tmp: ["dashboard", "nosuch", "--port", "http"], ("--port",)),
    "optuna-dashboard-no-study": (lambda tmp: ["optuna-dashboard", "nosuch", "--studies-dir", tmp / "st"],
                                     ("{tmp}/st/nosuch", "study")),
    "default-studies-dir-untouched": (lambda tmp: ["optimize", with_("colour: red\n")(tmp)], (Y, "colour"),
                                         studies_repo),
}

SUBPROCESS = ("data-real-one-class", "option-device-no-such-cuda")


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_bad_study_input_is_one_line_and_writes_nothing(kind, badinput):
    badinput.check(ROWS[kind])


@pytest.mark.parametrize("kind", SUBPROCESS)
def test_as_a_user_runs_it(kind, badinput):
    badinput.check_as_user(ROWS[kind])
