"""Batched SMPL fits recover known poses; the joints2smpl-style baseline runs on the same inputs; bad joints fail."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generation.body import FitSettings, SequentialSettings, fit_joints, fit_sequential, posed_vertices
from generation.body.rotations import axis_angle_to_matrix
from generation.errors import AutoSynthDaError, PoseDataError
from generation.samples import sample_files
from testing.known_motion import known_motion

# Joints whose rotation moves some SMPL-22 joint (feet, head and wrists only move the mesh: a prior settles them).
OBSERVABLE = [j for j in range(22) if j not in (10, 11, 15, 20, 21)]


def _angle_deg(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    rel = a.transpose(-1, -2) @ b
    cos = (rel.diagonal(dim1=-2, dim2=-1).sum(-1) - 1.0) / 2.0
    return torch.rad2deg(torch.acos(cos.clamp(-1.0, 1.0)))


@pytest.fixture(scope="module")
def known(toy_model):
    motions = [known_motion(toy_model, frames, seed) for frames, seed in ((40, 1), (25, 2), (33, 3))]
    return motions, fit_joints(toy_model, [m.joints for m in motions])


def test_batched_fit_recovers_known_poses(toy_model, known):
    motions, result = known
    assert [len(c.joints) for c in result.clips] == [40, 25, 33] and result.frames == 98
    assert result.mean_error_mm < 5.0
    for motion, fit in zip(motions, result.clips):
        assert np.abs(fit.joints - motion.joints).max() < 0.025  # metres, canonical frame
        truth = axis_angle_to_matrix(torch.from_numpy(motion.pose))
        got = torch.from_numpy(fit.rotations).double()
        assert _angle_deg(truth[:, 0], got[:, 0]).mean() < 3.0  # facing and lean
        assert _angle_deg(truth[:, OBSERVABLE], got[:, OBSERVABLE]).mean() < 6.0
        # The mesh, not only the joints: fitted vertices sit where the known parameters put them.
        verts = posed_vertices(toy_model, fit).numpy()
        assert np.linalg.norm(verts - motion.vertices, axis=-1).mean() < 0.015


def test_fit_outputs_smpl_parameters(known):
    _, result = known
    fit = result.clips[0]
    assert fit.global_orient.shape == (40, 3) and fit.body_pose.shape == (40, 69) and fit.betas.shape == (10,)
    back = axis_angle_to_matrix(torch.from_numpy(fit.body_pose.reshape(40, 23, 3)))
    assert torch.allclose(back, torch.from_numpy(fit.rotations[:, 1:]), atol=1e-4)
    assert np.allclose(fit.rotations[:, 22:], np.eye(3), atol=1e-6)  # hands: no joints to fit them to


def test_fit_is_deterministic_and_clips_do_not_depend_on_their_batch(toy_model, known):
    motions, result = known
    settings = FitSettings(iterations=60)
    again = fit_joints(toy_model, [m.joints for m in motions], settings)
    twice = fit_joints(toy_model, [m.joints for m in motions], settings)
    assert np.array_equal(again.clips[1].joints, twice.clips[1].joints)
    alone = fit_joints(toy_model, [motions[1].joints], settings)
    assert np.abs(alone.clips[0].joints - again.clips[1].joints).max() < 1e-4


def test_fit_to_a_real_bundled_clip(toy_model):
    from generation.poses import load_poses

    walk = load_poses(next(p for p in sample_files() if p.stem == "walk_humanoid3d_walk_00"))
    fit = fit_joints(toy_model, [walk.joints], FitSettings(iterations=100)).clips[0]
    # Another skeleton (DeepMimic's), so not exact; but the body follows it: head above the feet, small error.
    assert fit.error_mm.mean() < 40.0
    assert (fit.joints[:, 15, 1] < fit.joints[:, 10, 1] - 1.2).all()  # y down: head well above the left foot


def test_sequential_baseline_runs_on_the_same_inputs(toy_model, known):
    motions, _ = known
    short = motions[0].joints[:3]
    one = fit_sequential(toy_model, [short])
    many = fit_sequential(toy_model, [short], SequentialSettings(smplify_iterations=3, camera_steps=2))
    assert one.clips[0].joints.shape == (3, 22, 3) and one.iterations == 1
    assert np.isfinite(one.clips[0].error_mm).all()
    assert many.mean_error_mm < one.mean_error_mm  # more SMPLify iterations per frame fit better


@pytest.mark.parametrize("fitter", [fit_joints, fit_sequential])
def test_mismatched_joint_set_is_one_line_naming_the_source(toy_model, fitter):
    h36m = np.zeros((5, 17, 3), np.float32)
    with pytest.raises(PoseDataError) as exc:
        fitter(toy_model, [h36m], sources=["clip.npz"])
    message = str(exc.value)
    assert isinstance(exc.value, AutoSynthDaError) and "\n" not in message
    assert message.startswith("clip.npz: joints: SMPL is fitted to (T, 22, 3) SMPL-22 joints, got (5, 17, 3)")
    assert "17-joint set" in message
    bad = np.zeros((3, 22, 3), np.float32)
    bad[1, 4, 0] = np.nan
    with pytest.raises(PoseDataError, match=r"^b\.npz: joints: 1 non-finite values \(NaN/inf\), first in frame 1$"):
        fitter(toy_model, [bad], sources=["b.npz"])
