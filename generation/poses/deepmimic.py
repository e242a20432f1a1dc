"""DeepMimic / pybullet humanoid motion clips (.txt JSON) to canonical SMPL-22.

Format: {"Loop": ..., "Frames": [[dt, root xyz, root quat wxyz, then per joint in URDF order chest, neck, right_hip,
right_knee, right_ankle, right_shoulder, right_elbow, left_hip, left_knee, left_ankle, left_shoulder, left_elbow:
a local quaternion wxyz for spherical joints, one angle (radians) about the URDF axis for revolute ones]]}, 44 floats
a frame, y up, metres, ground at y = 0. The walker/ clips of pybullet_data share this layout (checked: 44 floats,
unit quaternions, the same humanoid) and load the same way. dt is the time to the NEXT frame (the last is often 0).

The files are plain JSON; a ".txt" that is not (e.g. PYBULLET_LICENSE.txt next to the clips, which is what makes a
glob over *.txt fail with "Expecting value: line 2 column 1") is reported as not a DeepMimic clip. humanoid.urdf ends
in a NUL byte (why `grep` calls it binary and an XML parser stops with "invalid token"), so NULs are stripped first.

Mapping to SMPL-22 (the humanoid has no toes, collars or spine subdivisions). Every derived joint is a fixed point of
one rigid URDF link, so it moves exactly as that body part does:
- pelvis = root joint (the hip centre: the hips sit at +-z of it); hips, knees, ankles, shoulders, elbows = URDF joints;
  wrists = the fixed wrist joints;
- spine1 = midpoint of root and chest joints (on the root link), spine2 = chest joint (~0.24 m above the root, where
  SMPL's spine2 is), spine3 = a quarter of the way from chest to neck (on the chest link), neck = neck joint;
- head = centre of the neck link's head sphere (URDF link origin), ~0.1 m below the top of the skull as SMPL's head;
- collars = midpoint of the neck joint and the shoulder joint on the chest link (SMPL's collar lies between the spine
  and the shoulder; copying the shoulder, as the H36M mapping does, would give a zero-length collar bone);
- feet = ball of the foot: the ankle link's foot box centre moved forward (+x) by a quarter of the box length; when
  the URDF has no box for the ankle link the foot joint falls back to the ankle.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generation.errors import PoseDataError
from generation.poses.bvh import snap_fps
from generation.poses.frames import y_up_to_canonical
from generation.poses.sequence import PoseSequence

# The clips were recorded with pybullet's globalScaling=0.25 on humanoid.urdf.
URDF_SCALE = 0.25
URDF_NAME = "humanoid.urdf"
CLIP_JOINTS = (
    "chest", "neck", "right_hip", "right_knee", "right_ankle", "right_shoulder", "right_elbow",
    "left_hip", "left_knee", "left_ankle", "left_shoulder", "left_elbow",
)  # fmt: skip
# 44 = dt, root position and rotation, 8 spherical joints, 4 revolute ones (knees, elbows).
FRAME_WIDTH = 1 + 3 + 4 + 4 * 8 + 4
_FIXED = ("right_wrist", "left_wrist")


@dataclass(frozen=True)
class UrdfJoint:
    name: str
    parent: str  # parent joint name ("root" for the root's children)
    kind: str  # "spherical", "revolute" or "fixed"
    origin: np.ndarray  # (3,) in the parent link's frame, already scaled to metres
    axis: np.ndarray  # (3,) unit axis of a revolute joint


@dataclass(frozen=True)
class Humanoid:
    joints: dict[str, UrdfJoint]
    head: np.ndarray  # head-sphere centre in the neck link frame (metres)
    feet: dict[str, np.ndarray]  # "left"/"right" -> ball of the foot in the ankle link frame (metres)


def _floats(text: str | None, source: Path, what: str) -> np.ndarray:
    try:
        values = np.array([float(v) for v in (text or "").split()], dtype=np.float64)
    except ValueError:
        raise PoseDataError(source, what, f"non-numeric value in {text!r}") from None
    if values.shape != (3,):
        raise PoseDataError(source, what, f"expected 3 numbers, got {text!r}")
    return values


def parse_urdf(path: str | Path, scale: float = URDF_SCALE) -> Humanoid:
    """The DeepMimic humanoid's joint origins, head centre and foot points from humanoid.urdf, in metres."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PoseDataError(path, "urdf", f"cannot read ({exc.strerror or exc})") from None
    try:
        robot = ET.fromstring(raw.replace(b"\x00", b""))
    except ET.ParseError as exc:
        raise PoseDataError(path, "urdf", f"not valid XML ({exc})") from None
    # Link names equal the names of the joints that own them, so a joint's parent link names its parent joint.
    joints: dict[str, UrdfJoint] = {}
    for node in robot.iter("joint"):
        name = node.get("name", "")
        origin = node.find("origin")
        if origin is not None and np.any(_floats(origin.get("rpy", "0 0 0"), path, f"joint {name} rpy")):
            raise PoseDataError(path, f"joint {name}", "rotated joint origins (rpy != 0) are not supported")
        xyz = _floats(origin.get("xyz") if origin is not None else "0 0 0", path, f"joint {name} xyz")
        axis_node = node.find("axis")
        axis = _floats(axis_node.get("xyz") if axis_node is not None else "0 0 1", path, f"joint {name} axis")
        parent = node.find("parent")
        joints[name] = UrdfJoint(
            name=name, parent=parent.get("link", "") if parent is not None else "", kind=node.get("type", ""),
            origin=xyz * scale, axis=axis / (np.linalg.norm(axis) or 1.0),
        )  # fmt: skip
    missing = [n for n in CLIP_JOINTS + _FIXED + ("root",) if n not in joints]
    if missing:
        raise PoseDataError(path, "urdf", f"not the DeepMimic humanoid: missing joints {', '.join(missing)}")
    kinds = {"spherical": 4, "revolute": 1}
    width = 8 + sum(kinds.get(joints[n].kind, 0) for n in CLIP_JOINTS)
    if width != FRAME_WIDTH or any(joints[n].kind not in kinds for n in CLIP_JOINTS):
        layout = ", ".join(f"{n}={joints[n].kind}" for n in CLIP_JOINTS)
        raise PoseDataError(path, "urdf", f"joint types give {width} floats a frame, not {FRAME_WIDTH}: {layout}")
    links = {node.get("name", ""): node for node in robot.iter("link")}
    head = _link_origin(links.get("neck"), path) * scale
    feet = {side: _foot_point(links.get(f"{side}_ankle"), path) * scale for side in ("left", "right")}
    return Humanoid(joints=joints, head=head, feet=feet)


def _link_origin(link: ET.Element | None, source: Path) -> np.ndarray:
    origin = link.find("inertial/origin") if link is not None else None
    return np.zeros(3) if origin is None else _floats(origin.get("xyz"), source, "link origin")


def _foot_point(link: ET.Element | None, source: Path) -> np.ndarray:
    collision = link.find("collision") if link is not None else None
    box = collision.find("geometry/box") if collision is not None else None
    origin = collision.find("origin") if collision is not None else None
    if box is None or origin is None:
        return np.zeros(3)
    centre = _floats(origin.get("xyz"), source, "foot box origin")
    size = _floats(box.get("size"), source, "foot box size")
    return centre + np.array([size[0] / 4, 0.0, 0.0])


def read_frames(path: str | Path) -> np.ndarray:
    """The (F, 44) frame table of a clip, validated."""
    path = Path(path)
    try:
        text = path.read_bytes().replace(b"\x00", b"").decode("utf-8-sig")
        data = json.loads(text)
    except OSError as exc:
        raise PoseDataError(path, "file", f"cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoseDataError(path, "file", f"not a DeepMimic clip: not JSON ({exc})") from None
    if not isinstance(data, dict) or "Frames" not in data:
        raise PoseDataError(path, "Frames", "not a DeepMimic clip: no 'Frames' list")
    frames = data["Frames"]
    if not isinstance(frames, list) or len(frames) < 2:
        raise PoseDataError(path, "Frames", "needs a list of at least 2 frames")
    for k, row in enumerate(frames):
        if not isinstance(row, list) or len(row) != FRAME_WIDTH:
            size = len(row) if isinstance(row, list) else type(row).__name__
            raise PoseDataError(path, "Frames", f"frame {k}: expected {FRAME_WIDTH} numbers, got {size}")
    try:
        table = np.array(frames, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next(k for k, row in enumerate(frames) if not all(isinstance(v, int | float) for v in row))
        raise PoseDataError(path, "Frames", f"frame {bad}: non-numeric value") from None
    if not np.isfinite(table).all():
        raise PoseDataError(path, "Frames", f"frame {int(np.argwhere(~np.isfinite(table))[0][0])}: non-finite value")
    return table


def quat_to_matrix(q: np.ndarray, source: Path, what: str) -> np.ndarray:
    """(F, 3, 3) rotations of (F, 4) wxyz quaternions, normalised (several clips store them a few % off unit)."""
    norm = np.linalg.norm(q, axis=-1, keepdims=True)
    if (norm < 1e-6).any():
        raise PoseDataError(source, "Frames", f"frame {int(np.argmax(norm[:, 0] < 1e-6))}: zero quaternion ({what})")
    w, x, y, z = np.moveaxis(q / norm, -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)  # fmt: skip


def axis_angle_matrix(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(F, 3, 3) Rodrigues rotations by angle (radians) about a fixed unit axis."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def forward_kinematics(table: np.ndarray, body: Humanoid, source: Path) -> np.ndarray:
    """(F, 22, 3) SMPL-22 joints (y up, metres) of a frame table, by the mapping in the module docstring."""
    f = table.shape[0]
    pos: dict[str, np.ndarray] = {"root": table[:, 1:4]}
    rot: dict[str, np.ndarray] = {"root": quat_to_matrix(table[:, 4:8], source, "root")}
    col = 8
    for name in CLIP_JOINTS + _FIXED:
        joint = body.joints[name]
        if joint.kind == "spherical":
            local = quat_to_matrix(table[:, col : col + 4], source, name)
            col += 4
        elif joint.kind == "revolute":
            local = axis_angle_matrix(joint.axis, table[:, col])
            col += 1
        else:
            local = np.broadcast_to(np.eye(3), (f, 3, 3))
        parent = joint.parent
        if parent not in pos:
            raise PoseDataError(source, "urdf", f"joint {name}: parent {parent!r} is not an earlier joint")
        pos[name] = pos[parent] + np.einsum("fij,j->fi", rot[parent], joint.origin)
        rot[name] = rot[parent] @ local

    def at(link: str, point: np.ndarray) -> np.ndarray:
        return pos[link] + np.einsum("fij,j->fi", rot[link], point)

    def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
        return a + t * (b - a)

    root, chest, neck = pos["root"], pos["chest"], pos["neck"]
    left = {k: pos[f"left_{k}"] for k in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")}
    right = {k: pos[f"right_{k}"] for k in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")}
    return np.stack([
        root, left["hip"], right["hip"], lerp(root, chest, 0.5), left["knee"], right["knee"], chest, left["ankle"],
        right["ankle"], lerp(chest, neck, 0.25), at("left_ankle", body.feet["left"]),
        at("right_ankle", body.feet["right"]), neck, lerp(neck, left["shoulder"], 0.5),
        lerp(neck, right["shoulder"], 0.5), at("neck", body.head), left["shoulder"], right["shoulder"], left["elbow"],
        right["elbow"], left["wrist"], right["wrist"],
    ], axis=1)  # fmt: skip


def _uniform_time(joints: np.ndarray, dt: np.ndarray, source: Path) -> tuple[np.ndarray, float, bool]:
    """Joints on a uniform time grid; a clip with a skipped frame (roll: one dt doubled) is resampled linearly."""
    steps = dt[:-1]
    if (steps <= 0).any():
        raise PoseDataError(source, "Frames", f"frame {int(np.argmax(steps <= 0))}: dt must be positive")
    step = float(np.median(steps))
    fps = snap_fps(1.0 / step)
    if np.abs(steps - step).max() <= 1e-3 * step:
        return joints, fps, False
    times = np.concatenate([[0.0], np.cumsum(steps)])
    grid = np.arange(0.0, times[-1] + 1e-9, 1.0 / fps)
    flat = joints.reshape(len(times), -1)
    out = np.stack([np.interp(grid, times, flat[:, c]) for c in range(flat.shape[1])], axis=1)
    return out.reshape((len(grid),) + joints.shape[1:]), fps, True


def load_deepmimic(path: str | Path, *, label: str = "", urdf: str | Path | None = None) -> PoseSequence:
    """Load a DeepMimic clip as SMPL-22 in the canonical frame. urdf defaults to humanoid.urdf beside the clip (or
    one folder up, for the walker/ clips)."""
    path = Path(path)
    if urdf is None:
        near = [d / URDF_NAME for d in (path.parent, path.parent.parent) if (d / URDF_NAME).is_file()]
        if not near:
            raise PoseDataError(path, "urdf", f"no {URDF_NAME} beside the clip or one folder up; pass urdf=")
        urdf = near[0]
    body = parse_urdf(urdf)
    table = read_frames(path)
    joints, fps, resampled = _uniform_time(forward_kinematics(table, body, path), table[:, 0], path)
    canonical, floor_y = y_up_to_canonical(joints.astype(np.float32), floor_height=0.0)
    return PoseSequence(
        joints=canonical, joint_set="smpl22", fps=fps, label=label, source=str(path), floor_y=floor_y,
        meta={"format": "deepmimic", "urdf": str(urdf), "resampled": resampled, "frames": int(table.shape[0])},
    )  # fmt: skip
