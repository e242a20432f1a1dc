"""Bad study configs and arguments fail before any work, with one line naming the file and the key."""

from __future__ import annotations

import pytest
import yaml

from optimizer.config import ConfigError, load_config
from optimizer.study import StudyPaths, prepare_study

BASE = {
    "name": "demo",
    "target_class": "fall",
    "data": {"real": "generation/samples/data", "classes": ["fall", "jump", "punch", "walk"]},
}


def write(tmp_path, **changes):
    config = {**BASE, **changes}
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_demo_config_is_valid():
    config = load_config("studies/fall.yaml")
    assert config.target_class == "fall" and config.search.weight == (0.0, 1.0) and config.data.real.is_dir()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"search": {"weight": [-0.1, 1.0]}}, r"search\.weight: must be a range \[low, high\] within \[0, 1\]"),
        ({"search": {"weight": [0.2, 1.5]}}, r"search\.weight: must be a range"),
        ({"search": {"sampler": "bayes"}}, r"search\.sampler: unknown sampler 'bayes' \(known: tpe, gp, random, legacy, spsa\)"),
        ({"search": {"ratio": [-1, 2]}}, r"search\.ratio: must be a range"),
        ({"colour": "blue"}, r"colour: unknown key"),
        ({"render": {"size": 64, "fps": 30}}, r"render\.fps: unknown key"),
        ({"data": {"real": "no/such/folder"}}, r"data\.real: path no/such/folder does not exist"),
        ({"metric": "f2"}, r"metric: unknown metric 'f2'"),
        ({"blend_method": "slerp"}, r"blend_method: unknown blend method 'slerp'"),
        ({"data": {"real": "generation/samples/data", "classes": ["jump", "walk"]}}, r"target_class: 'fall' is not in data\.classes"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(tmp_path, changes, message):
    path = write(tmp_path, **changes)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_unknown_class_fails_before_any_work(tmp_path):
    config = load_config(write(tmp_path, data={"real": "generation/samples/data"}), target_class="skydive")
    paths = StudyPaths.for_study("demo", tmp_path / "studies")
    with pytest.raises(ConfigError, match=r"target_class: no real clips of class 'skydive' \(found: fall, jump, kick"):
        prepare_study(config, paths=paths)
    assert not (tmp_path / "studies").exists()


def test_class_too_small_to_split_is_named(tmp_path):
    config = load_config(write(tmp_path, target_class="run", data={"real": "generation/samples/data"}))
    with pytest.raises(Exception, match="class 'kick': needs at least 3 real clips"):
        prepare_study(config, paths=StudyPaths.for_study("demo", tmp_path / "studies"))
    assert not (tmp_path / "studies").exists()


def test_cli_errors_are_one_line_and_write_nothing(tmp_path, autosynthda):
    path = write(tmp_path, search={"sampler": "bayes"})
    done = autosynthda("optimize", path, "--studies-dir", tmp_path / "studies")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {path}: search.sampler: unknown sampler 'bayes' (known: tpe, gp, random, legacy, spsa)"]
    done = autosynthda("optimize", write(tmp_path), "--class", "skydive", "--studies-dir", tmp_path / "studies")
    assert done.returncode == 2 and "target_class: 'skydive' is not in data.classes" in done.stderr
    done = autosynthda("optimize", tmp_path / "missing.yaml")
    assert done.returncode == 2 and done.stderr.strip() == f"error: {tmp_path / 'missing.yaml'}: file: does not exist"
    done = autosynthda("optimize", write(tmp_path), "--trials", "0", "--studies-dir", tmp_path / "studies")
    assert done.returncode == 2 and "--trials: must be >= 1" in done.stderr
    assert not (tmp_path / "studies").exists()


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        ("name: demo\ntarget_class: fall\ndata:\n  real: generation/samples/data\ntarget_class: jump\n",
         "target_class", (2, 5)),
        ("name: demo\ntarget_class: fall\ndata:\n  real: generation/samples/data\nsearch:\n  trials: 4\n  seed: 1\n"
         "  trials: 40\n", "search.trials", (6, 8)),
        ("name: demo\ntarget_class: fall\ndata: {real: generation/samples/data, real: generation}\n", "data.real", (3, 3)),
    ],
)
def test_duplicate_yaml_key_is_refused_naming_both_lines(tmp_path, autosynthda, text, key, lines):
    """PyYAML keeps the last of two equal keys: `target_class: fall` then `jump` ran a jump study."""
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: {key}: duplicate key (lines {lines[0]} and {lines[1]}); keep one"
    done = autosynthda("optimize", path, "--studies-dir", tmp_path / "studies")
    assert done.returncode == 2 and done.stderr.strip() == f"error: {info.value}"
    assert not (tmp_path / "studies").exists()


# --- issue 14: a study on the user's own videos ---------------------------------------------------------------------

VIDEO = {"name": "demo", "target_class": "lunge"}


def write_video(tmp_path, data=None, **changes):
    (tmp_path / "videos").mkdir(exist_ok=True)
    config = {**VIDEO, "data": {"videos": str(tmp_path / "videos"), **(data or {})}, **changes}
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_video_study_resolves_its_paths(tmp_path):
    (tmp_path / "groups.csv").write_text("video,group\n")
    (tmp_path / "poses").mkdir()
    config = load_config(write_video(tmp_path, {"groups": "groups.csv", "poses": "poses", "fps": 15},
                                     render={"background": "plates", "camera": "source"}))
    data = config.data
    assert data.is_video and data.videos == tmp_path / "videos" and data.groups == tmp_path / "groups.csv"
    assert data.poses == tmp_path / "poses" and data.fps == 15.0
    assert (config.render.background, config.render.camera) == ("plates", "source")


def test_a_pose_study_is_unchanged_by_the_video_keys():
    config = load_config("studies/fall.yaml")
    assert not config.data.is_video and config.render.background == "auto" and config.render.camera == "views"
    assert "background" not in config.render.settings().to_dict()  # pose studies' cache keys stay as they were


@pytest.mark.parametrize(
    ("data", "changes", "message"),
    [
        ({"real": "generation/samples/data"}, {},
         r": data: give data\.real \(pose files\) or data\.videos \(videos\), not both$"),
        ({"fps": 0}, {}, r"data\.fps: Input should be greater than 0"),
        ({"groups": "no_such.csv"}, {}, r"data\.groups: path no_such\.csv does not exist"),
        ({"poses": "no_such_dir"}, {}, r"data\.poses: path no_such_dir does not exist"),
        ({}, {"pairs": {"fps": 20}}, r"pairs: fps: a video study's pairs run at the real frames' rate"),
        ({}, {"render": {"background": "beach"}}, r"render\.background: unknown background 'beach' \(known: auto, plates\)"),
        ({}, {"render": {"camera": "drone"}}, r"render\.camera: unknown camera 'drone' \(known: views, source\)"),
    ],
)
def test_bad_video_config_is_one_line(tmp_path, data, changes, message):
    path = write_video(tmp_path, data, **changes)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("data", "render", "message"),
    [
        ({"groups": "g.csv"}, {}, r"data: groups: only read with data\.videos"),
        ({"fps": 12}, {}, r"data: fps: only read with data\.videos"),
        ({}, {"background": "plates"}, r"render: background: 'plates' is made from the study's videos; it needs data\.videos"),
        ({}, {"camera": "source"}, r"render: camera: 'source' is made from the study's videos; it needs data\.videos"),
    ],
)
def test_video_keys_need_a_video_study(tmp_path, data, render, message):
    path = write(tmp_path, data={**BASE["data"], **data}, render=render)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_video_paths_of_the_wrong_kind_are_named(tmp_path):
    (tmp_path / "groups").mkdir()
    with pytest.raises(ConfigError, match=r"data\.groups: .*groups is not a CSV file"):
        load_config(write_video(tmp_path, {"groups": str(tmp_path / "groups")}))
    (tmp_path / "file.mp4").write_text("x")
    config = {**VIDEO, "data": {"videos": str(tmp_path / "file.mp4")}}
    (tmp_path / "v.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=r"data\.videos: .*file\.mp4 is not a folder"):
        load_config(tmp_path / "v.yaml")
