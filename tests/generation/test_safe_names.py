"""Class and clip names become folder names: a stored label of `../../x` (or --label) must not write outside --out or
outside a study's real/; each is refused with one line naming the file and the field, and nothing is written."""

from __future__ import annotations

import pytest
import yaml

from generation.errors import PoseDataError
from generation.poses import load_canonical, save_canonical
from generation.safe_names import check_component
from generation.samples import sample_files

BAD = ["../../escaped", "a/b", "..", ".hidden", "", "nul\0byte"]



def _write_labelled(folder, source, label, name=None):
    folder.mkdir(parents=True, exist_ok=True)
    seq = load_canonical(source)
    return save_canonical(seq.with_joints(seq.joints, label=label), folder / (name or source.name))


@pytest.mark.parametrize("name", BAD)
def test_unsafe_names_are_refused(name):
    with pytest.raises(PoseDataError) as info:
        check_component(name, "label", "clip.npz")
    assert str(info.value).startswith("clip.npz: label: ") and "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["fall", "Fall Down", "jump_01", "été"])
def test_plain_names_pass(name):
    assert check_component(name, "label") == name


def test_render_refuses_a_stored_label_that_climbs_out_of_out(tmp_path, autosynthda):
    poses = tmp_path / "deep" / "poses"
    src = next(p for p in sample_files() if p.stem == "fall_Boxing_Toes_00")
    bad = _write_labelled(poses, src, "../../escaped")
    out = tmp_path / "deep" / "out"
    done = autosynthda("render", poses, "--out", out, "--size", "32")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith(f"error: {bad}: label: '../../escaped' contains a path separator")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "deep" / "escaped").exists()
    assert not out.exists()  # refused before --out is created


def test_render_refuses_a_hidden_file_stem(tmp_path, autosynthda):
    src = next(p for p in sample_files() if p.stem == "fall_Boxing_Toes_00")
    poses = tmp_path / "poses"
    poses.mkdir()
    (poses / ".fall.npz").write_bytes(src.read_bytes())
    done = autosynthda("render", poses / ".fall.npz", "--out", tmp_path / "out", "--size", "32")
    assert done.returncode == 2 and "file name: '.fall' starts with a dot" in done.stderr, done.stderr


def test_convert_refuses_a_label_option_that_is_a_path(tmp_path, autosynthda):
    src = next(p for p in sample_files() if p.stem == "fall_Boxing_Toes_00")
    out = tmp_path / "out.npz"
    done = autosynthda("poses", "convert", src, "--out", out, "--label", "../../x")
    assert done.returncode == 2 and done.stderr.strip() == (
        f"error: {src}: label: '../../x' contains a path separator; it becomes a folder name, so it must be one "
        "plain name"
    ), done.stderr
    assert not out.exists()


def test_study_refuses_a_real_clip_labelled_outside_real(tmp_path, autosynthda):
    real = tmp_path / "data" / "real"
    for path in sample_files():
        if path.stem.startswith(("fall", "jump")):
            real.mkdir(parents=True, exist_ok=True)
            (real / path.name).write_bytes(path.read_bytes())
    bad = _write_labelled(real, next(p for p in sample_files() if p.stem.startswith("jump")), "../../../x",
                          name="jump_evil.npz")
    config = tmp_path / "demo.yaml"
    config.write_text(yaml.safe_dump({"name": "demo", "target_class": "fall", "data": {"real": str(real)},
                                      "scorer": {"kind": "standin"}, "tracking": {"enabled": False}}))
    studies = tmp_path / "a" / "b" / "studies"
    done = autosynthda("setup", config, "--studies-dir", studies)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith(f"error: {bad}: label: '../../../x' contains a path separator")
    assert not (tmp_path / "x").exists() and not (tmp_path / "a" / "x").exists()
    assert not studies.exists()


@pytest.mark.parametrize("target", ["../up", ".dot"])
def test_config_target_class_must_be_one_folder_name(tmp_path, target):
    from optimizer.config import ConfigError, load_config

    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump({"name": "demo", "target_class": target}))
    with pytest.raises(ConfigError, match=rf"^{path}: target_class: .*must be one plain name$"):
        load_config(path)
