"""A procedural stand-in body model written in SMPL's pickle format. NOT SMPL: for tests, benchmarks and docs only.

SMPL itself is a licensed download that this project never ships, so tests need a model they can make on the spot.
This one is a body of 22 closed, tapered tubes (one per bone, like generation.render's mannequin) on SMPL's 24-joint
tree in a T-pose, with every key SMPL's pickle has and smplx reads: v_template (V, 3), shapedirs (V, 3, 10),
posedirs (V, 3, 207, all zero: no pose correctives), J_regressor (24, V, a scipy sparse matrix like SMPL's),
weights (V, 24), kintree_table (2, 24, SMPL's 4294967295 as the root's parent), f (F, 3) uint32, plus J.

Joint j is the mean of a ring of vertices centred on it, so J_regressor @ v gives the joints exactly, and the ten
shape components move joints (stature, leg and arm length, shoulder and hip width, torso and neck length) or only
the surface (girth, belly, head size), so that a fit has a shape to recover. About 4,000 vertices and 8,000 faces.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse

from generation.atomic import atomic_file
from generation.body.errors import MODEL_FILE
from generation.body.skeleton import NUM_JOINTS, PARENTS

# Rest joints relative to the pelvis, SMPL frame (y up, facing +z), metres: close to SMPL's neutral T-pose.
_LEFT_AND_MIDDLE = {
    0: (0.0, 0.0, 0.0), 1: (0.06, -0.09, 0.0), 3: (0.0, 0.11, -0.02), 4: (0.10, -0.47, 0.0), 6: (0.0, 0.24, 0.0),
    7: (0.09, -0.87, -0.03), 9: (0.0, 0.30, 0.02), 10: (0.11, -0.93, 0.10), 12: (0.0, 0.52, 0.0),
    13: (0.07, 0.43, 0.0), 15: (0.0, 0.61, 0.04), 16: (0.18, 0.46, -0.01), 18: (0.44, 0.44, -0.03),
    20: (0.69, 0.45, -0.03), 22: (0.77, 0.44, -0.04),
}  # fmt: skip
_MIRROR = {2: 1, 5: 4, 8: 7, 11: 10, 14: 13, 17: 16, 19: 18, 21: 20, 23: 22}
PELVIS_OFFSET = np.array([0.0, -0.22, 0.02])  # SMPL's origin is not at its pelvis; neither is ours


def rest_joints() -> np.ndarray:
    joints = np.zeros((NUM_JOINTS, 3))
    for j, xyz in _LEFT_AND_MIDDLE.items():
        joints[j] = xyz
    for right, left in _MIRROR.items():
        joints[right] = joints[left] * (-1.0, 1.0, 1.0)
    return joints + PELVIS_OFFSET


@dataclass(frozen=True)
class Part:
    """A closed tube around the segment start -> end, skinned to joint; radii (lateral, depth) at both ends."""

    joint: int
    start: int  # a joint: the tube's first ring is centred on it (J_regressor uses that ring)
    end: int | tuple[float, float, float]  # a joint (its ring is centred on it), or an offset from start
    r_start: tuple[float, float]
    r_end: tuple[float, float]
    lateral: tuple[float, float, float] = (1.0, 0.0, 0.0)  # the cross-section's first axis, made square to the tube



def _mirrored(part: Part) -> Part:
    """The same part on the body's right side."""
    to_right = {left: right for right, left in _MIRROR.items()}
    return Part(to_right[part.joint], to_right[part.start], to_right[part.end], part.r_start, part.r_end,
                part.lateral)


_LEFT_PARTS = (
    Part(13, 13, 16, (0.055, 0.05), (0.06, 0.055), (0.0, 1.0, 0.0)),
    Part(16, 16, 18, (0.052, 0.052), (0.042, 0.042), (0.0, 1.0, 0.0)),
    Part(18, 18, 20, (0.042, 0.04), (0.032, 0.028), (0.0, 1.0, 0.0)),
    Part(20, 20, 22, (0.022, 0.045), (0.018, 0.04), (0.0, 1.0, 0.0)),
    Part(1, 1, 4, (0.085, 0.085), (0.055, 0.055)),
    Part(4, 4, 7, (0.052, 0.055), (0.038, 0.04)),
    Part(7, 7, 10, (0.04, 0.04), (0.035, 0.03)),
)
PARTS: tuple[Part, ...] = (
    Part(0, 0, (0.0, 0.10, 0.0), (0.16, 0.11), (0.15, 0.105)),
    Part(3, 3, 6, (0.14, 0.10), (0.145, 0.10)),
    Part(6, 6, 9, (0.15, 0.105), (0.16, 0.105)),
    Part(9, 9, 12, (0.165, 0.10), (0.10, 0.07)),
    Part(12, 12, 15, (0.055, 0.055), (0.05, 0.05)),
    Part(15, 15, (0.0, 0.13, 0.01), (0.075, 0.09), (0.08, 0.09)),
    *_LEFT_PARTS,
    *(_mirrored(p) for p in _LEFT_PARTS),
)
NUM_BETAS = 10
SEGMENTS = 16  # vertices around a ring
CAP_RINGS = 4  # rings of each rounded end, pole excluded


def _shape_fields(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(10, 24, 3) joint displacement and (10, P) radial growth per unit of each beta."""
    delta = np.zeros((NUM_BETAS, NUM_JOINTS, 3))
    radial = np.zeros((NUM_BETAS, len(PARTS)))
    pelvis = joints[0]
    delta[0] = 0.06 * (joints - pelvis)  # stature: everything scales about the pelvis
    radial[0] = 0.06
    radial[1] = 0.12  # girth
    for side in ((1, 4, 7, 10), (2, 5, 8, 11)):  # leg length, about the hip
        delta[2, list(side)] = 0.06 * (joints[list(side)] - joints[side[0]])
    for side in ((16, 18, 20, 22), (17, 19, 21, 23)):  # arm length, about the shoulder
        delta[3, list(side)] = 0.06 * (joints[list(side)] - joints[side[0]])
    for sign, side in ((1.0, (13, 16, 18, 20, 22)), (-1.0, (14, 17, 19, 21, 23))):  # shoulder width
        delta[4, list(side), 0] = sign * 0.02
    for sign, side in ((1.0, (1, 4, 7, 10)), (-1.0, (2, 5, 8, 11))):  # hip width
        delta[5, list(side), 0] = sign * 0.015
    upper = [6, 9, 12, 13, 14, 15, *range(16, 24)]  # torso length: everything above spine1 rises
    delta[6, upper, 1] = 0.03
    delta[6, 6, 1] = 0.01
    delta[6, 9, 1] = 0.02
    radial[7, [0, 1, 2]] = 0.15  # belly and hips
    radial[8, 5] = 0.15  # head size
    delta[8, 15, 1] = 0.01
    delta[9, [15], 1] = 0.025  # neck length
    return delta, radial


def _frame(axis: np.ndarray, lateral: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    e1 = np.asarray(lateral, dtype=np.float64)
    e1 = e1 - (e1 @ axis) * axis
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(axis, e1)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def make_toy_model() -> dict:
    """The model as the dict SMPL's pickle holds (deterministic: no randomness)."""
    joints = rest_joints()
    delta, radial = _shape_fields(joints)
    verts, faces, weights, shape, regressor_rings = [], [], [], [], {}
    for p_index, part in enumerate(PARTS):
        a = joints[part.start]
        end_joint = part.end if isinstance(part.end, int) else None
        b = joints[end_joint] if end_joint is not None else a + np.asarray(part.end)
        axis = (b - a) / np.linalg.norm(b - a)
        e1, e2 = _frame(axis, part.lateral)
        ra, rb = np.asarray(part.r_start), np.asarray(part.r_end)
        cyl = int(np.clip(round(np.linalg.norm(b - a) / 0.035), 2, 12)) + 1  # rings from s=0 to s=1
        # (centre, radii) of every ring from the start pole to the end pole; caps are half ellipsoids.
        rings = []
        for i in range(1, CAP_RINGS + 1):
            theta = np.pi / 2 * i / (CAP_RINGS + 1)
            rings.append((a - axis * ra.mean() * np.cos(theta), ra * np.sin(theta)))
        first_ring = len(rings)
        for s in np.linspace(0.0, 1.0, cyl):
            rings.append((a + s * (b - a), ra + s * (rb - ra)))
        last_ring = len(rings) - 1
        for i in range(CAP_RINGS, 0, -1):
            theta = np.pi / 2 * i / (CAP_RINGS + 1)
            rings.append((b + axis * rb.mean() * np.cos(theta), rb * np.sin(theta)))
        phi = 2 * np.pi * np.arange(SEGMENTS) / SEGMENTS
        base = sum(len(v) for v in verts)
        pts = [a - axis * ra.mean()]
        for centre, (r1, r2) in rings:
            pts.extend(centre + r1 * np.cos(phi)[:, None] * e1 + r2 * np.sin(phi)[:, None] * e2)
        pts.append(b + axis * rb.mean())
        pts = np.array(pts)
        verts.append(pts)

        def ring_start(r: int, base: int = base) -> int:  # index of ring r's first vertex
            return base + 1 + r * SEGMENTS

        regressor_rings.setdefault(part.start, ring_start(first_ring))
        if end_joint is not None:
            regressor_rings.setdefault(end_joint, ring_start(last_ring))
        # Faces wound counter-clockwise seen from outside (e1, e2, axis is right-handed).
        n_rings = len(rings)
        for k in range(SEGMENTS):
            k2 = (k + 1) % SEGMENTS
            faces.append((base, ring_start(0) + k2, ring_start(0) + k))
            for r in range(n_rings - 1):
                q0, q1 = ring_start(r) + k, ring_start(r) + k2
                faces.append((q0, q1, q1 + SEGMENTS))
                faces.append((q0, q1 + SEGMENTS, q0 + SEGMENTS))
            last = ring_start(n_rings - 1)
            faces.append((base + len(pts) - 1, last + k, last + k2))
        # Skinning: rigid to the part's joint, blended half-way into the parent's / the end joint's near the ends.
        s = np.clip((pts - a) @ (b - a) / np.dot(b - a, b - a), 0.0, 1.0)
        w = np.zeros((len(pts), NUM_JOINTS))
        to_parent = 0.5 * (1.0 - _smoothstep(s / 0.3)) if PARENTS[part.joint] >= 0 else np.zeros_like(s)
        to_child = 0.5 * _smoothstep((s - 0.7) / 0.3) if end_joint is not None else np.zeros_like(s)
        w[:, part.joint] = 1.0 - to_parent - to_child
        if PARENTS[part.joint] >= 0:
            w[:, PARENTS[part.joint]] += to_parent
        if end_joint is not None:
            w[:, end_joint] += to_child
        weights.append(w)
        # Shape: joint displacements interpolated along the tube (so every ring keeps its centre on the bone),
        # plus radial growth (which leaves ring centres, and so joints, where they are).
        d_end = delta[:, end_joint] if end_joint is not None else delta[:, part.start]
        along = (1.0 - s)[None, :, None] * delta[:, part.start][:, None] + s[None, :, None] * d_end[:, None]
        on_axis = a + s[:, None] * (b - a)
        shape.append(along + radial[:, p_index, None, None] * (pts - on_axis)[None])
    v_template = np.concatenate(verts)
    num_verts = len(v_template)
    rows, cols = [], []
    for j in range(NUM_JOINTS):
        rows.extend([j] * SEGMENTS)
        cols.extend(range(regressor_rings[j], regressor_rings[j] + SEGMENTS))
    regressor = scipy.sparse.csc_matrix((np.full(len(rows), 1.0 / SEGMENTS), (rows, cols)),
                                        shape=(NUM_JOINTS, num_verts))
    kintree = np.array([[4294967295 if p < 0 else p for p in PARENTS], list(range(NUM_JOINTS))], dtype=np.int64)
    return {
        "v_template": v_template,
        "shapedirs": np.concatenate(shape, axis=1).transpose(1, 2, 0).copy(),  # (V, 3, 10)
        "posedirs": np.zeros((num_verts, 3, 9 * (NUM_JOINTS - 1))),
        "J_regressor": regressor,
        "weights": np.concatenate(weights),
        "kintree_table": kintree,
        "f": np.array(faces, dtype=np.uint32),
        "J": regressor @ v_template,
        "bs_style": "lbs",
        "bs_type": "lrotmin",
    }


def write_toy_model(folder: str | Path, name: str = MODEL_FILE) -> Path:
    """Write the stand-in model as folder/SMPL_NEUTRAL.pkl (atomically) and return the file's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with atomic_file(path) as tmp:
        Path(tmp).write_bytes(pickle.dumps(make_toy_model(), protocol=2))
    return path
