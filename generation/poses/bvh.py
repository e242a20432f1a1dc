"""BVH motion capture: a strict parser, forward kinematics for any skeleton, and a loader to canonical SMPL-22.

Conventions (the usual BVH reading, as MotionBuilder, Blender and bvhtoolbox apply it):
- rotation channels are Euler angles in degrees applied in the order the joint lists them, intrinsically:
  "Zrotation Xrotation Yrotation" means R = Rz @ Rx @ Ry (column vectors, child-to-parent);
- a joint's translation is its OFFSET, unless the joint has position channels, which then replace the OFFSET (the
  root's OFFSET is 0 in practice; rigs with 6 channels on every joint write the offset into the channels);
- a joint's world position is parent position + parent world rotation @ translation; End Sites likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from generation.errors import PoseDataError
from generation.poses.bvh_rigs import END_SUFFIX, BvhRig, detect_rig
from generation.poses.frames import y_up_to_canonical
from generation.poses.joints import SMPL22_NAMES
from generation.poses.sequence import PoseSequence

ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")
POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
_AXIS = {"X": 0, "Y": 1, "Z": 2}
# Feet below this height count as standing on the floor when a rig's floor is estimated (see _estimate_floor).
_FLOOR_PERCENTILE = 2.0


@dataclass(frozen=True)
class BvhClip:
    """A parsed BVH file. Joints are in file order (parents before children).

    offsets: (J, 3) in the file's units. channels: per joint, its channel names in order; channel_start[j] is the
    column of its first channel in motion. end_sites: joint index -> End Site offset. motion: (F, C) float64 values.
    """

    source: str
    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    channel_start: tuple[int, ...]
    end_sites: dict[int, np.ndarray]
    frame_time: float
    motion: np.ndarray

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def num_channels(self) -> int:
        return sum(len(c) for c in self.channels)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def point_names(self) -> list[str]:
        """Names of every point forward_kinematics returns: the joints, then "Name.end" for each End Site."""
        return list(self.names) + [self.names[j] + END_SUFFIX for j in sorted(self.end_sites)]


class _Tokens:
    """Whitespace tokens of the HIERARCHY section with their 1-based line numbers, for error messages."""

    def __init__(self, lines: list[str], first_line: int, source: str) -> None:
        self.items = [(tok, first_line + i) for i, line in enumerate(lines) for tok in line.split()]
        self.pos = 0
        self.source = source

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def line(self) -> int:
        if self.pos < len(self.items):
            return self.items[self.pos][1]
        return self.items[-1][1] if self.items else 0

    def take(self, what: str) -> str:
        if self.pos >= len(self.items):
            raise PoseDataError(self.source, "HIERARCHY", f"file ends inside the hierarchy, expected {what}")
        tok = self.items[self.pos][0]
        self.pos += 1
        return tok

    def expect(self, literal: str) -> None:
        line = self.line()
        tok = self.take(repr(literal))
        if tok != literal:
            raise PoseDataError(self.source, "HIERARCHY", f"line {line}: expected {literal!r}, found {tok!r}")

    def number(self, what: str) -> float:
        line = self.line()
        tok = self.take(what)
        try:
            value = float(tok)
        except ValueError:
            raise PoseDataError(self.source, "HIERARCHY", f"line {line}: {what}: non-numeric value {tok!r}") from None
        if not np.isfinite(value):
            raise PoseDataError(self.source, "HIERARCHY", f"line {line}: {what}: non-finite value {tok!r}")
        return value

    def offset(self, owner: str) -> np.ndarray:
        self.expect("OFFSET")
        return np.array([self.number(f"OFFSET of {owner}") for _ in range(3)], dtype=np.float64)


def _read_lines(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PoseDataError(path, "file", f"cannot read ({exc.strerror or exc})") from None
    # NULs (padding of some exporters) and a BOM carry no content.
    return raw.replace(b"\x00", b"").decode("utf-8-sig", errors="replace").splitlines()


def _find_keyword(lines: list[str], keyword: str, start: int, source: Path) -> int:
    for i in range(start, len(lines)):
        if lines[i].strip().upper() == keyword:
            return i
    raise PoseDataError(source, keyword, f"no {keyword} section (not a BVH file, or truncated)")


def _parse_hierarchy(tokens: _Tokens) -> tuple[list[str], list[int], list[np.ndarray], list[tuple[str, ...]], dict]:
    names: list[str] = []
    parents: list[int] = []
    offsets: list[np.ndarray] = []
    channels: list[tuple[str, ...]] = []
    end_sites: dict[int, np.ndarray] = {}
    src = tokens.source

    def joint(parent: int) -> None:
        line = tokens.line()
        name = tokens.take("a joint name")
        if name in names:
            raise PoseDataError(src, "HIERARCHY", f"line {line}: joint name {name!r} used twice")
        index = len(names)
        names.append(name)
        parents.append(parent)
        tokens.expect("{")
        offsets.append(tokens.offset(name))
        chans: tuple[str, ...] = ()
        if tokens.peek() == "CHANNELS":
            tokens.take("CHANNELS")
            count_line = tokens.line()
            count = tokens.number(f"CHANNELS count of {name}")
            if count != int(count) or not 0 <= count <= 6:
                raise PoseDataError(src, "HIERARCHY", f"line {count_line}: {name}: bad CHANNELS count {count:g}")
            chans = tuple(tokens.take(f"a channel name of {name}") for _ in range(int(count)))
            bad = [c for c in chans if c not in ROTATION_CHANNELS + POSITION_CHANNELS]
            if bad or len(set(chans)) != len(chans):
                raise PoseDataError(src, "HIERARCHY", f"line {count_line}: {name}: bad channel list {' '.join(chans)}")
        channels.append(chans)
        while (tok := tokens.peek()) != "}":
            line = tokens.line()
            if tok == "JOINT":
                tokens.take("JOINT")
                joint(index)
            elif tok == "End":
                tokens.take("End")
                tokens.expect("Site")
                tokens.expect("{")
                end_sites[index] = tokens.offset(f"{name} End Site")
                tokens.expect("}")
            elif tok is None:
                raise PoseDataError(src, "HIERARCHY", f"file ends inside joint {name!r} (missing '}}')")
            else:
                raise PoseDataError(src, "HIERARCHY", f"line {line}: unexpected {tok!r} inside joint {name!r}")
        tokens.expect("}")

    while tokens.peek() is not None:
        tokens.expect("ROOT")
        joint(-1)
    if not names:
        raise PoseDataError(src, "HIERARCHY", "no ROOT joint")
    return names, parents, offsets, channels, end_sites


def _header_value(lines: list[str], index: int, label: str, source: Path) -> tuple[float, int]:
    """The number after 'label' on the first non-empty line from index (e.g. 'Frames: 120'), and the next line."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    line = lines[index].strip() if index < len(lines) else ""
    if not line.lower().startswith(label.lower()):
        raise PoseDataError(source, "MOTION", f"line {index + 1}: expected '{label}', found {line[:40]!r}")
    text = line[len(label) :].strip()
    try:
        value = float(text)
    except ValueError:
        raise PoseDataError(source, "MOTION", f"line {index + 1}: {label} non-numeric value {text!r}") from None
    return value, index + 1


def _parse_motion(lines: list[str], start: int, num_channels: int, source: Path) -> tuple[float, np.ndarray]:
    frames, index = _header_value(lines, start, "Frames:", source)
    if not np.isfinite(frames) or frames != int(frames) or frames < 1:
        raise PoseDataError(source, "MOTION", f"line {index}: Frames: must be a positive whole number, got {frames:g}")
    frame_time, index = _header_value(lines, index, "Frame Time:", source)
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise PoseDataError(source, "MOTION", f"line {index}: Frame Time: must be positive, got {frame_time:g}")
    n = int(frames)
    rows = [(i + 1, line) for i, line in enumerate(lines[index:], start=index) if line.strip()]
    if len(rows) < n:
        raise PoseDataError(
            source, "MOTION", f"file ends after {len(rows)} of {n} frames (Frames: says {n}); truncated file?"
        )
    # Rows beyond the declared count (some exporters append one) are ignored: Frames: is the contract.
    rows = rows[:n]
    for frame, (lineno, line) in enumerate(rows):
        count = len(line.split())
        if count != num_channels:
            raise PoseDataError(
                source, "MOTION", f"line {lineno} (frame {frame}): expected {num_channels} values, got {count}"
            )
    try:
        motion = np.array(" ".join(line for _, line in rows).split(), dtype=np.float64).reshape(n, num_channels)
    except ValueError:
        motion = None
    if motion is None or not np.isfinite(motion).all():
        for frame, (lineno, line) in enumerate(rows):
            for tok in line.split():
                try:
                    ok = np.isfinite(float(tok))
                except ValueError:
                    ok = False
                if not ok:
                    raise PoseDataError(
                        source, "MOTION", f"line {lineno} (frame {frame}): non-numeric or non-finite value {tok!r}"
                    )
    assert motion is not None
    return frame_time, motion


def parse_bvh(path: str | Path) -> BvhClip:
    """Parse a BVH file; any malformation raises PoseDataError with the line (and frame) at fault."""
    path = Path(path)
    lines = _read_lines(path)
    h = _find_keyword(lines, "HIERARCHY", 0, path)
    m = _find_keyword(lines, "MOTION", h + 1, path)
    tokens = _Tokens(lines[h + 1 : m], h + 2, str(path))
    names, parents, offsets, channels, end_sites = _parse_hierarchy(tokens)
    channel_start = tuple(int(s) for s in np.cumsum([0] + [len(c) for c in channels[:-1]]))
    num_channels = sum(len(c) for c in channels)
    if num_channels == 0:
        raise PoseDataError(path, "HIERARCHY", "no joint has CHANNELS: nothing moves")
    frame_time, motion = _parse_motion(lines, m + 1, num_channels, path)
    return BvhClip(
        source=str(path), names=tuple(names), parents=tuple(parents), offsets=np.stack(offsets),
        channels=tuple(channels), channel_start=channel_start, end_sites=end_sites, frame_time=frame_time,
        motion=motion,
    )


def axis_rotation(axis: str, degrees: np.ndarray) -> np.ndarray:
    """(F, 3, 3) right-handed rotations by degrees about the x, y or z axis."""
    rad = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(rad), np.sin(rad)
    out = np.zeros(rad.shape + (3, 3), dtype=np.float64)
    i = _AXIS[axis]
    j, k = (i + 1) % 3, (i + 2) % 3
    out[..., i, i] = 1.0
    out[..., j, j] = c
    out[..., k, k] = c
    out[..., j, k] = -s
    out[..., k, j] = s
    return out


def forward_kinematics(clip: BvhClip) -> np.ndarray:
    """(F, P, 3) world positions of every point in clip.point_names() (joints then End Sites), file units, y up."""
    f = clip.num_frames
    count = len(clip.names)
    pos = np.empty((f, count, 3), dtype=np.float64)
    rot = np.empty((f, count, 3, 3), dtype=np.float64)
    for j, (parent, chans) in enumerate(zip(clip.parents, clip.channels, strict=True)):
        local_t = np.broadcast_to(clip.offsets[j], (f, 3)).copy()
        local_r = np.broadcast_to(np.eye(3), (f, 3, 3)).copy()
        if any(c in POSITION_CHANNELS for c in chans):
            local_t[:] = 0.0
        for k, chan in enumerate(chans):
            values = clip.motion[:, clip.channel_start[j] + k]
            if chan in POSITION_CHANNELS:
                local_t[:, _AXIS[chan[0]]] = values
            else:
                local_r = local_r @ axis_rotation(chan[0], values)
        if parent < 0:
            pos[:, j] = local_t
            rot[:, j] = local_r
        else:
            pos[:, j] = pos[:, parent] + np.einsum("fij,fj->fi", rot[:, parent], local_t)
            rot[:, j] = rot[:, parent] @ local_r
    ends = [pos[:, j] + np.einsum("fij,j->fi", rot[:, j], clip.end_sites[j]) for j in sorted(clip.end_sites)]
    return np.concatenate([pos, np.stack(ends, axis=1)], axis=1) if ends else pos


def map_to_smpl22(points: np.ndarray, point_names: list[str], rig: BvhRig) -> np.ndarray:
    """(F, 22, 3) SMPL-22 joints from FK points by the rig table (averaging multi-name sources)."""
    index = {name: i for i, name in enumerate(point_names)}
    out = np.empty(points.shape[:1] + (len(SMPL22_NAMES), 3), dtype=np.float64)
    for k, smpl in enumerate(SMPL22_NAMES):
        out[:, k] = points[:, [index[n] for n in rig.sources(smpl)]].mean(axis=1)
    return out


def estimate_floor(smpl_y_up: np.ndarray) -> float:
    """Ground height of a y-up SMPL-22 clip: a low percentile of the lowest foot joint over all frames.

    A percentile rather than the minimum so that a single glitch frame does not set the floor; the ankle/foot joints
    sit a few cm above the sole, so this floor lies that much above the true ground.
    """
    lowest = smpl_y_up[:, [7, 8, 10, 11], 1].min(axis=1)
    return float(np.percentile(lowest, _FLOOR_PERCENTILE))


def snap_fps(fps: float) -> float:
    """Round a frame rate derived from a truncated frame time (0.0083333 s -> 120.0005) to the whole number it means."""
    nearest = round(fps)
    return float(nearest) if nearest > 0 and abs(fps - nearest) <= 1e-3 * fps else fps


def load_bvh(path: str | Path, *, label: str = "", scale: float | None = None, rig: str | None = None) -> PoseSequence:
    """Load a BVH as SMPL-22 in the canonical frame (metres, y down). scale overrides the rig's unit scale; rig
    forces a rig table by name instead of detecting it from the joint names."""
    path = Path(path)
    clip = parse_bvh(path)
    names = clip.point_names()
    table = detect_rig(names, path, rig=rig)
    factor = table.scale if scale is None else float(scale)
    if not (np.isfinite(factor) and factor > 0):
        raise PoseDataError(path, "scale", f"must be a positive number, got {scale!r}")
    smpl = map_to_smpl22(forward_kinematics(clip), names, table) * factor
    floor_height = 0.0 if table.floor == "zero" else estimate_floor(smpl)
    joints, floor_y = y_up_to_canonical(smpl.astype(np.float32), floor_height=floor_height)
    return PoseSequence(
        joints=joints, joint_set="smpl22", fps=snap_fps(clip.fps), label=label, source=str(path), floor_y=floor_y,
        meta={"format": "bvh", "rig": table.name, "scale": factor, "floor": table.floor,
              "floor_height": floor_height, "frames": clip.num_frames},
    )
