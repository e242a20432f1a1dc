"""Rig tables: which BVH joint (or average of joints, or end site) stands for each SMPL-22 joint, per skeleton.

A source is a joint name, "Name.end" for the End Site under joint Name, or a tuple of such names whose positions are
averaged. Averages fill in SMPL joints a rig does not have: SMPL's collar joint sits between the spine and the shoulder,
while these rigs put their collar joint's origin on the spine (offset 0 from the chest/neck), so collar = mean(collar,
shoulder); spine joints a rig lacks are means of its neighbours. Left/right follow the BVH names: Left* -> SMPL l_*,
the subject's own left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from generation.errors import PoseDataError
from generation.poses.joints import SMPL22_NAMES

Source = str | tuple[str, ...]
END_SUFFIX = ".end"


@dataclass(frozen=True)
class BvhRig:
    """One skeleton family. scale turns the file's units into metres.

    floor: "zero" when the file's ground plane is y = 0 (checked on the shipped takes: the lowest foot point sits within
    a few cm of 0 while standing), "estimate" when the clip's floor height must be estimated from the feet.
    """

    name: str
    scale: float
    joints: dict[str, Source]
    floor: str = "zero"
    description: str = ""

    def sources(self, smpl_name: str) -> tuple[str, ...]:
        src = self.joints[smpl_name]
        return (src,) if isinstance(src, str) else tuple(src)

    def missing(self, available: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
        """(SMPL joint, its BVH source names) for every SMPL joint whose sources are not all in available."""
        have = set(available)
        return [(smpl, self.sources(smpl)) for smpl in SMPL22_NAMES if not set(self.sources(smpl)) <= have]


def _sided(table: dict[str, Source]) -> dict[str, Source]:
    """Expand "side_" entries into l_/r_ ones with "{Side}" in the BVH names written as "Left"/"Right"."""

    def fill(src: Source, side: str) -> Source:
        if isinstance(src, str):
            return src.replace("{Side}", side)
        return tuple(s.replace("{Side}", side) for s in src)

    out: dict[str, Source] = {}
    for smpl, src in table.items():
        if smpl.startswith("side_"):
            out["l_" + smpl[5:]] = fill(src, "Left")
            out["r_" + smpl[5:]] = fill(src, "Right")
        else:
            out[smpl] = src
    missing = set(SMPL22_NAMES) - set(out)
    assert not missing, f"rig table lacks {sorted(missing)}"
    return out


# CMU Graphics Lab mocap in Bruce Hahne's cgspeed BVH conversion. Units are the ASF "length" unit (inches / 0.45):
# x 0.0254 / 0.45 = 0.056444 m. Spine and Spine1 sit ~0.12 and ~0.23 m above the hips (SMPL spine1/spine2); Neck has
# offset 0 from Spine1, so Neck1 (at shoulder height) plays SMPL's neck and spine3 is between Spine1 and Neck1.
CMU_CGSPEED = BvhRig(
    name="cmu_cgspeed",
    scale=0.0254 / 0.45,
    joints=_sided({
        "pelvis": "Hips", "spine1": "Spine", "spine2": "Spine1", "spine3": ("Spine1", "Neck1"), "neck": "Neck1",
        "head": "Head", "side_hip": "{Side}UpLeg", "side_knee": "{Side}Leg", "side_ankle": "{Side}Foot",
        "side_foot": "{Side}ToeBase", "side_collar": ("{Side}Shoulder", "{Side}Arm"), "side_shoulder": "{Side}Arm",
        "side_elbow": "{Side}ForeArm", "side_wrist": "{Side}Hand",
    }),  # fmt: skip
    description="CMU mocap, cgspeed BVH conversion (Hips, LHipJoint, LeftUpLeg, ..., LowerBack, Spine, Spine1, Neck1)",
)

# Boxing_Toes.bvh (assimp test models), centimetres. Ab is 8 cm and Chest 31 cm above the hips; SMPL spine2 (~0.24 m
# on a 1.7 m body) falls between them, spine3 at the chest.
BOXING = BvhRig(
    name="boxing",
    scale=0.01,
    joints=_sided({
        "pelvis": "Hips", "spine1": "Ab", "spine2": ("Ab", "Chest"), "spine3": "Chest", "neck": "Neck",
        "head": "Head", "side_hip": "{Side}Hip", "side_knee": "{Side}Knee", "side_ankle": "{Side}Ankle",
        "side_foot": "{Side}Toes", "side_collar": ("{Side}Collar", "{Side}Shoulder"), "side_shoulder": "{Side}Shoulder",
        "side_elbow": "{Side}Elbow", "side_wrist": "{Side}Wrist",
    }),  # fmt: skip
    description="Hips/Ab/Chest/Neck/Head with Left/RightCollar, Shoulder, Elbow, Wrist, Hip, Knee, Ankle, Toes (cm)",
)

# mocapbank export (bvhtoolbox test file), centimetres, no toe joints: the ankle's End Site lies on the sole ~18 cm in
# front of the ankle and stands in for SMPL's foot joint.
MOCAPBANK = BvhRig(
    name="mocapbank",
    scale=0.01,
    joints=_sided({
        "pelvis": "Hips", "spine1": "Chest", "spine2": "Chest2", "spine3": ("Chest2", "Neck"), "neck": "Neck",
        "head": "Head", "side_hip": "{Side}Hip", "side_knee": "{Side}Knee", "side_ankle": "{Side}Ankle",
        "side_foot": "{Side}Ankle" + END_SUFFIX, "side_collar": ("{Side}Collar", "{Side}Shoulder"),
        "side_shoulder": "{Side}Shoulder", "side_elbow": "{Side}Elbow", "side_wrist": "{Side}Wrist",
    }),  # fmt: skip
    description="Hips/Chest/Chest2/Neck/Head with Left/RightCollar, Shoulder, Elbow, Wrist, Hip, Knee, Ankle (cm)",
)

# Most specific first: a rig matches when every source it names exists in the file.
RIGS: tuple[BvhRig, ...] = (CMU_CGSPEED, BOXING, MOCAPBANK)
RIGS_BY_NAME: dict[str, BvhRig] = {rig.name: rig for rig in RIGS}


def detect_rig(available: Iterable[str], source: object = None, *, rig: str | None = None) -> BvhRig:
    """The rig whose sources all exist among available (joint names and "Name.end" end sites).

    Raises PoseDataError naming, for the closest rig, each SMPL joint it could not fill and the BVH names it looked for.
    """
    names = set(available)
    if rig is not None:
        if rig not in RIGS_BY_NAME:
            raise PoseDataError(source, "rig", f"unknown rig {rig!r} (known: {', '.join(RIGS_BY_NAME)})")
        candidates: tuple[BvhRig, ...] = (RIGS_BY_NAME[rig],)
    else:
        candidates = RIGS
    for cand in candidates:
        if not cand.missing(names):
            return cand
    closest = min(candidates, key=lambda r: len(r.missing(names)))
    gaps = "; ".join(f"{smpl} <- {' + '.join(srcs)}" for smpl, srcs in closest.missing(names))
    raise PoseDataError(
        source,
        "HIERARCHY",
        f"unknown rig: no rig table fits these joint names (known rigs: {', '.join(c.name for c in candidates)}); "
        f"closest is {closest.name!r}, which lacks SMPL joints {gaps}",
    )
