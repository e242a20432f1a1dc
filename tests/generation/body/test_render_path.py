"""`body: smpl` end to end: study config, render settings, TAO frame folders, the render command; mannequin stays."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from PIL import Image

from generation.body import render_smpl_clips
from generation.dataset import ClipJob, RenderSettings, render_and_write
from generation.poses import load_poses
from generation.render import NAMED_VIEWS, RenderOptions
from generation.samples import sample_files
from optimizer.config import ConfigError, load_config

BASE = {"name": "demo", "target_class": "fall", "data": {"real": "generation/samples/data"}}


def _clip(stem: str) -> np.ndarray:
    return load_poses(next(p for p in sample_files() if p.stem == stem)).joints


def test_smpl_clips_render_a_person_in_frame_deterministically(toy_model_dir):
    clips = [_clip("walk_humanoid3d_walk_00")[:12], _clip("fall_Boxing_Toes_00")[:8]]
    views = [NAMED_VIEWS["front"], NAMED_VIEWS["front-left"]]
    frames = render_smpl_clips(clips, views, 64, model_dir=toy_model_dir, seed=1)
    again = render_smpl_clips(clips, views, 64, model_dir=toy_model_dir, seed=1)
    assert frames.shape == (2, 12, 64, 64, 3) and np.array_equal(frames.numpy(), again.numpy())
    grey = np.array([128, 128, 128])  # SynthDa's 0.5 grey background
    for b in range(2):
        person = (np.abs(frames[b].numpy().astype(int) - grey).sum(-1) > 10)
        assert person.mean() > 0.04  # a body, not a speck
        rows = np.nonzero(person.any(axis=(0, 2)))[0]
        assert rows.max() - rows.min() + 1 >= 0.6 * 64  # framed to fill most of the height
        assert (frames[b, 8:] == frames[b, 7:8]).all() or b == 0  # the short clip holds its last frame


def test_render_and_write_with_smpl_bodies(toy_model_dir, tmp_path):
    joints = _clip("jump_humanoid3d_jump_00")[:6]
    job = ClipJob(joints, NAMED_VIEWS["front"], 0, tmp_path / "jump" / "clip0")
    mannequin = ClipJob(joints, NAMED_VIEWS["front"], 0, tmp_path / "jump" / "clip1")
    render_and_write([job], RenderSettings(size=48, format="png", body="smpl", smpl_model_dir=str(toy_model_dir)))
    render_and_write([mannequin], RenderSettings(size=48, format="png"))
    smpl_frame = np.asarray(Image.open(job.clip_dir / "rgb" / "000000.png"))
    mannequin_frame = np.asarray(Image.open(mannequin.clip_dir / "rgb" / "000000.png"))
    assert len(list((job.clip_dir / "rgb").iterdir())) == 6
    assert smpl_frame.shape == mannequin_frame.shape == (48, 48, 3)
    assert not np.array_equal(smpl_frame, mannequin_frame)  # a different body was drawn


def test_settings_key_of_the_mannequin_is_unchanged():
    # Real renders are cached under a hash of the settings: the new keys appear only for SMPL bodies.
    assert "body" not in RenderSettings().to_dict()
    assert RenderSettings(body="smpl", smpl_model_dir="/m").to_dict()["smpl_model_dir"] == "/m"


def _write(tmp_path, render):
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump({**BASE, "render": render}))
    return path


def test_study_config_selects_the_body(tmp_path, toy_model_dir, monkeypatch):
    monkeypatch.delenv("SMPL_MODEL_DIR", raising=False)
    assert load_config(_write(tmp_path, {})).render.body == "mannequin"
    config = load_config(_write(tmp_path, {"body": "smpl", "smpl_model_dir": str(toy_model_dir)}))
    settings = config.render.settings()
    assert settings.body == "smpl" and settings.smpl_model_dir == str(toy_model_dir)
    monkeypatch.setenv("SMPL_MODEL_DIR", str(toy_model_dir))  # the fallback when the key is absent
    assert load_config(_write(tmp_path, {"body": "smpl"})).render.smpl_model_dir == toy_model_dir


@pytest.mark.parametrize(
    ("render", "message"),
    [
        ({"body": "smpl"}, r"render: smpl_model_dir: not set and \$SMPL_MODEL_DIR is empty; get SMPL from "
                           r"https://smpl\.is\.tue\.mpg\.de"),
        ({"body": "smpl", "smpl_model_dir": "/no/such/dir"}, r"render: smpl_model_dir /no/such/dir: folder does not"),
        ({"body": "nurbs"}, r"render\.body: unknown body 'nurbs' \(known: mannequin, smpl\)"),
        ({"smpl_model_dir": "/m"}, r"render: smpl_model_dir: only read when render\.body is 'smpl'"),
    ],
)
def test_bad_body_config_is_one_line(tmp_path, monkeypatch, render, message):
    monkeypatch.delenv("SMPL_MODEL_DIR", raising=False)
    path = _write(tmp_path, render)
    with pytest.raises(ConfigError, match=message) as exc:
        load_config(path)
    assert str(exc.value).startswith(f"{path}: ") and "\n" not in str(exc.value)


def test_render_command_with_smpl_bodies(tmp_path, toy_model_dir, autosynthda):
    poses = tmp_path / "poses"
    poses.mkdir()
    src = next(p for p in sample_files() if p.stem == "run_humanoid3d_run_00")
    (poses / src.name).write_bytes(src.read_bytes())
    out = tmp_path / "out"
    done = autosynthda("render", poses, "--out", out, "--size", "32", "--body", "smpl",
                       "--smpl-model-dir", toy_model_dir)
    assert done.returncode == 0, done.stderr
    assert len(list((out / "run" / "run_humanoid3d_run_00__front" / "rgb").iterdir())) == 25

    bad = tmp_path / "models"
    bad.mkdir()
    (bad / "SMPL_NEUTRAL.pkl").write_text("junk")
    done = autosynthda("render", poses, "--out", tmp_path / "out2", "--body", "smpl", "--smpl-model-dir", bad)
    assert done.returncode == 2 and not (tmp_path / "out2").exists()
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad / 'SMPL_NEUTRAL.pkl'}: pickle: not an SMPL model pickle")
    done = autosynthda("render", poses, "--out", tmp_path / "out3", "--body", "blender")
    assert done.returncode == 2 and done.stderr.startswith("error: --body: unknown body 'blender'")


def test_options_look_applies_to_smpl_bodies(toy_model_dir):
    clip = [_clip("punch_humanoid3d_punch_00")[:3]]
    white = render_smpl_clips(clip, [NAMED_VIEWS["front"]], 32, model_dir=toy_model_dir,
                              options=RenderOptions(body_color=(1.0, 1.0, 1.0)))
    dark = render_smpl_clips(clip, [NAMED_VIEWS["front"]], 32, model_dir=toy_model_dir)
    assert white.float().mean() > dark.float().mean()
