"""Loading SMPL models through smplx: the toy model in SMPL's exact file format, and one-line errors for bad ones."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse
import torch

from generation.body import BodyModelError, load_body_model, resolve_model_file
from generation.body.kinematics import forward_joints
from generation.body.rotations import axis_angle_to_matrix
from generation.errors import AutoSynthDaError
from testing.toy_body import make_toy_model, write_toy_model


def test_toy_model_has_smpls_keys_types_and_shapes(toy_model_dir):
    with open(toy_model_dir / "SMPL_NEUTRAL.pkl", "rb") as handle:
        data = pickle.load(handle, encoding="latin1")
    v = data["v_template"].shape[0]
    assert data["shapedirs"].shape == (v, 3, 10) and data["posedirs"].shape == (v, 3, 207)
    assert scipy.sparse.issparse(data["J_regressor"]) and data["J_regressor"].shape == (24, v)
    assert data["weights"].shape == (v, 24) and np.allclose(data["weights"].sum(1), 1.0)
    assert data["kintree_table"].shape == (2, 24) and data["kintree_table"][0, 0] == 4294967295
    assert data["f"].dtype == np.uint32 and data["f"].max() < v
    assert np.allclose(data["J_regressor"] @ data["v_template"], data["J"])
    tri = data["v_template"][data["f"].astype(np.int64)]
    volume = np.einsum("fi,fi->f", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
    assert 0.05 < volume < 0.15  # m^3, wound outwards: a closed body of ~70-100 litres (its tubes overlap)


def test_shape_components_move_the_joints_they_name(toy_model):
    betas = torch.zeros(3, 10)
    betas[1, 2] = 1.0  # leg length
    betas[2, 3] = 1.0  # arm length
    rest = toy_model.rest_joints(betas, 24)
    leg = lambda j: (j[7] - j[1]).norm()  # noqa: E731
    arm = lambda j: (j[20] - j[16]).norm()  # noqa: E731
    assert leg(rest[1]) > leg(rest[0]) + 0.02 and torch.isclose(arm(rest[1]), arm(rest[0]))
    assert arm(rest[2]) > arm(rest[0]) + 0.02 and torch.isclose(leg(rest[2]), leg(rest[0]))


def test_smplx_layer_and_our_kinematics_agree(toy_model):
    gen = torch.Generator().manual_seed(0)
    pose = torch.randn(4, 24, 3, generator=gen) * 0.4
    betas = torch.randn(4, 10, generator=gen)
    out = toy_model.smpl(betas=betas, global_orient=pose[:, 0], body_pose=pose[:, 1:].reshape(4, -1))
    ours = forward_joints(axis_angle_to_matrix(pose[:, :22]).movedim(1, 0), toy_model.rest_joints(betas).movedim(1, 0))
    assert torch.allclose(out.joints[:, :22], ours.movedim(0, 1), atol=1e-5)


def test_model_folder_layouts_and_env_var(tmp_path, monkeypatch):
    flat = write_toy_model(tmp_path / "flat")
    nested = write_toy_model(tmp_path / "nested" / "smpl")
    assert resolve_model_file(tmp_path / "flat") == flat
    assert resolve_model_file(tmp_path / "nested") == nested  # joints2smpl's smpl_models/smpl/ layout
    assert resolve_model_file(flat) == flat
    monkeypatch.setenv("SMPL_MODEL_DIR", str(tmp_path / "nested"))
    assert resolve_model_file(None) == nested
    assert load_body_model().path == nested.resolve()


def _one_line(exc: pytest.ExceptionInfo, *parts: str) -> str:
    message = str(exc.value)
    assert isinstance(exc.value, AutoSynthDaError) and "\n" not in message
    for part in parts:
        assert part in message, (part, message)
    return message


def test_missing_folder_file_or_setting_says_where_to_get_smpl(tmp_path, monkeypatch):
    with pytest.raises(BodyModelError) as exc:
        load_body_model(tmp_path / "nowhere")
    _one_line(exc, f"{tmp_path / 'nowhere'}: smpl_model_dir: folder does not exist", "https://smpl.is.tue.mpg.de")
    with pytest.raises(BodyModelError) as exc:
        load_body_model(tmp_path)
    _one_line(exc, f"{tmp_path}: SMPL_NEUTRAL.pkl: not found", "https://smpl.is.tue.mpg.de")
    monkeypatch.delenv("SMPL_MODEL_DIR", raising=False)
    with pytest.raises(BodyModelError) as exc:
        load_body_model(None)
    _one_line(exc, "smpl_model_dir: not set", "SMPL_MODEL_DIR", "https://smpl.is.tue.mpg.de")


def test_wrong_files_name_the_file_and_the_key(tmp_path):
    path = tmp_path / "SMPL_NEUTRAL.pkl"
    path.write_text("not a pickle at all")
    with pytest.raises(BodyModelError) as exc:
        load_body_model(tmp_path)
    _one_line(exc, f"{path}: pickle: not an SMPL model pickle")

    data = make_toy_model()
    del data["J_regressor"]
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(BodyModelError) as exc:
        load_body_model(tmp_path)
    _one_line(exc, f"{path}: J_regressor: missing")

    data = make_toy_model()
    data["posedirs"] = data["posedirs"][:, :, :200]
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(BodyModelError) as exc:
        load_body_model(tmp_path)
    _one_line(exc, f"{path}: posedirs: expected shape (V, 3, 207)")

    path.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(BodyModelError) as exc:
        load_body_model(tmp_path)
    _one_line(exc, f"{path}: pickle: expected a dict")
