"""A licence-free body: round cones (capsules whose two end radii differ) placed on SMPL-22 joints.

Every body part is one primitive type, a round cone from a to b with radii ra and rb (a sphere is a == b), so the
renderer has a single code path. Proportions are those of a 1.7 m adult, scaled per clip by the skeleton's stature.
The body is built only from joints that mean the same thing in every source we load (pelvis, hips, knees, ankles,
neck, head, shoulders, elbows, wrists): SMPL's spine joints sit at different heights in H36M-converted clips, SMPL
hips are 0.11 m apart but H36M hips 0.29 m, and converted clips copy the ankles into the feet and the shoulders into
the collars, so those joints must not shape the body.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# SMPL-22 indices used below.
PELVIS, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE, L_FOOT, R_FOOT = 0, 1, 2, 4, 5, 7, 8, 10, 11
NECK, HEAD, L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 12, 15, 16, 17, 18, 19, 20, 21

REFERENCE_STATURE = 1.7  # metres; the radii below are for a body this tall
# Ankle-to-head chain and the head/sole allowance, as generation.poses.anatomy.estimate_stature.
_STATURE_CHAIN = (7, 4, 1, 0, 3, 6, 9, 12, 15)
_HEAD_AND_SOLE = 0.18
_EPS = 1e-8

# (name, radius at a, radius at b) in metres for the reference stature, in primitive order.
PARTS: tuple[tuple[str, float, float], ...] = (
    ("pelvis", 0.105, 0.105),
    ("abdomen", 0.115, 0.12),
    ("chest_l", 0.105, 0.11),
    ("chest_r", 0.105, 0.11),
    ("trapezius_l", 0.065, 0.055),
    ("trapezius_r", 0.065, 0.055),
    ("deltoid_l", 0.058, 0.058),
    ("deltoid_r", 0.058, 0.058),
    ("neck", 0.058, 0.052),
    ("head", 0.074, 0.088),
    ("thigh_l", 0.085, 0.058),
    ("thigh_r", 0.085, 0.058),
    ("shin_l", 0.056, 0.04),
    ("shin_r", 0.056, 0.04),
    ("foot_l", 0.042, 0.032),
    ("foot_r", 0.042, 0.032),
    ("upper_arm_l", 0.05, 0.04),
    ("upper_arm_r", 0.05, 0.04),
    ("forearm_l", 0.04, 0.03),
    ("forearm_r", 0.04, 0.03),
    ("hand_l", 0.034, 0.03),
    ("hand_r", 0.034, 0.03),
)
PART_NAMES: tuple[str, ...] = tuple(name for name, _, _ in PARTS)
NUM_PRIMITIVES = len(PARTS)


@dataclass(frozen=True)
class Primitives:
    """Round cones per frame: a, b (B, T, P, 3) end centres; ra, rb (B, T, P) end radii; same frame as the joints."""

    a: torch.Tensor
    b: torch.Tensor
    ra: torch.Tensor
    rb: torch.Tensor

    def bounding_points(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, 2P, 3) sphere centres and (B, T, 2P) radii whose union contains the body (for camera framing)."""
        return torch.cat([self.a, self.b], dim=2), torch.cat([self.ra, self.rb], dim=2)


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(_EPS)


def _orthogonal_unit(v: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """v with its component along the unit vector axis removed, normalised."""
    return _unit(v - (v * axis).sum(-1, keepdim=True) * axis)


def clip_scale(joints: torch.Tensor) -> torch.Tensor:
    """(B,) stature / 1.7 m per clip (median over frames: robust to a few bad estimates), clamped to a sane range."""
    chain = joints[:, :, list(_STATURE_CHAIN)]
    length = (chain[:, :, 1:] - chain[:, :, :-1]).norm(dim=-1).sum(-1)  # (B, T)
    stature = length.median(dim=1).values + _HEAD_AND_SOLE
    return (stature / REFERENCE_STATURE).clamp(0.25, 4.0)


def build_mannequin(joints: torch.Tensor) -> Primitives:
    """Primitives for (B, T, 22, 3) SMPL-22 joints, batched torch ops on the joints' device and dtype."""
    j = joints
    s = clip_scale(j)[:, None, None]  # (B, 1, 1) broadcast over frames and coordinates

    def joint(i: int) -> torch.Tensor:
        return j[:, :, i]

    pelvis, neck, head = joint(PELVIS), joint(NECK), joint(HEAD)
    torso = neck - pelvis
    torso_len = torso.norm(dim=-1, keepdim=True)
    up = _unit(torso)  # body up, not world up: a lying or bending body keeps its torso shape
    lat_hip = _orthogonal_unit(joint(L_HIP) - joint(R_HIP), up)  # towards the body's left
    lat_sh = _orthogonal_unit(joint(L_SHOULDER) - joint(R_SHOULDER), up)
    forward = _unit(torch.linalg.cross(lat_hip, up, dim=-1))  # right-handed frame: left x up = facing direction

    def along(t: float) -> torch.Tensor:
        return pelvis + up * (torso_len * t)

    head_dir = _unit(head - neck)
    # SMPL's head joint is ~0.1 m from its neck joint, H36M's ~0.24 m (its neck is the thorax, its head joint
    # higher on the skull): pull a far head joint back towards the neck so the head sits on the shoulders.
    neck_len = (head - neck).norm(dim=-1, keepdim=True)
    head = head - head_dir * (neck_len - 0.12 * s).clamp(min=0.0).minimum(0.06 * s)
    ends: dict[str, tuple[torch.Tensor, torch.Tensor]] = {
        "pelvis": (pelvis - lat_hip * (0.075 * s), pelvis + lat_hip * (0.075 * s)),
        "abdomen": (along(0.12), along(0.55)),
        "chest_l": (along(0.45) + lat_hip * (0.05 * s), along(0.8) + lat_sh * (0.07 * s)),
        "chest_r": (along(0.45) - lat_hip * (0.05 * s), along(0.8) - lat_sh * (0.07 * s)),
        "trapezius_l": (along(0.88), joint(L_SHOULDER)),
        "trapezius_r": (along(0.88), joint(R_SHOULDER)),
        "deltoid_l": (joint(L_SHOULDER), joint(L_SHOULDER)),
        "deltoid_r": (joint(R_SHOULDER), joint(R_SHOULDER)),
        "neck": (along(0.93), head - head_dir * (0.06 * s)),
        "head": (head - head_dir * (0.035 * s), head + head_dir * (0.025 * s)),  # egg: jaw narrower than skull
    }
    for side, sign, (hip, knee, ankle, foot) in (("l", 1.0, (L_HIP, L_KNEE, L_ANKLE, L_FOOT)),
                                                 ("r", -1.0, (R_HIP, R_KNEE, R_ANKLE, R_FOOT))):
        # SMPL hip joints sit 0.055 m off the midline, H36M's 0.145 m: start the thigh at least 0.08 m out so
        # narrow-hipped skeletons do not get thighs tucked inside the pelvis.
        lateral = ((joint(hip) - pelvis) * lat_hip).sum(-1, keepdim=True) * sign
        top = joint(hip) + lat_hip * (sign * (0.08 * s - lateral).clamp(min=0.0))
        ends[f"thigh_{side}"] = (top, joint(knee))
        ends[f"shin_{side}"] = (joint(knee), joint(ankle))
        ends[f"foot_{side}"] = _foot(joint(ankle), joint(knee), joint(foot), forward, s)
    arms = (("l", (L_SHOULDER, L_ELBOW, L_WRIST)), ("r", (R_SHOULDER, R_ELBOW, R_WRIST)))
    for side, (shoulder, elbow, wrist) in arms:
        hand_dir = _unit(joint(wrist) - joint(elbow))  # SMPL-22 has no hand joints: extend the forearm
        ends[f"upper_arm_{side}"] = (joint(shoulder), joint(elbow))
        ends[f"forearm_{side}"] = (joint(elbow), joint(wrist))
        ends[f"hand_{side}"] = (joint(wrist) + hand_dir * (0.01 * s), joint(wrist) + hand_dir * (0.085 * s))

    a = torch.stack([ends[name][0] for name in PART_NAMES], dim=2)
    b = torch.stack([ends[name][1] for name in PART_NAMES], dim=2)
    radii = torch.tensor([[ra, rb] for _, ra, rb in PARTS], dtype=j.dtype, device=j.device)  # (P, 2)
    r = radii[None, None] * s[..., None]  # (B, 1, P, 2)
    shape = a.shape[:-1]
    return Primitives(a=a, b=b, ra=r[..., 0].expand(shape), rb=r[..., 1].expand(shape))


def _foot(ankle: torch.Tensor, knee: torch.Tensor, foot: torch.Tensor, forward: torch.Tensor, s: torch.Tensor):
    """Heel and toe centres. Uses the foot joint when it is a real one, else points the foot forward, square to the
    shin (H36M-converted clips copy the ankle into the foot joint)."""
    shin = _unit(ankle - knee)
    to_foot = foot - ankle
    real = to_foot.norm(dim=-1, keepdim=True) > 0.04 * s
    synth_dir = _orthogonal_unit(forward, shin)
    direction = torch.where(real, _unit(to_foot), synth_dir)
    heel = ankle + shin * (0.035 * s) - direction * (0.045 * s)
    toe_synth = ankle + shin * (0.05 * s) + direction * (0.15 * s)
    toe = torch.where(real, foot + direction * (0.03 * s), toe_synth)
    return heel, toe
