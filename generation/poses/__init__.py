"""Pose sequences: the type, the joint sets, and loaders for every supported format."""

from generation.poses.anatomy import bone_lengths, bounding_box, estimate_stature, feet_height
from generation.poses.bvh import load_bvh
from generation.poses.canonical import load_canonical, save_canonical
from generation.poses.deepmimic import load_deepmimic
from generation.poses.frames import synthetic_flip, y_up_to_canonical
from generation.poses.humanml3d import load_humanml3d
from generation.poses.io import FORMATS, detect_format, iter_pose_files, load_poses
from generation.poses.joints import H36M17_NAMES, SMPL22_NAMES, SMPL22_PARENTS, h36m17_to_smpl22
from generation.poses.sequence import PoseSequence, validate_joints
from generation.poses.strided import load_strided

__all__ = [
    "FORMATS", "H36M17_NAMES", "SMPL22_NAMES", "SMPL22_PARENTS", "PoseSequence", "bone_lengths", "bounding_box",
    "detect_format", "estimate_stature", "feet_height", "h36m17_to_smpl22", "iter_pose_files", "load_bvh",
    "load_canonical", "load_deepmimic", "load_humanml3d", "load_poses", "load_strided", "save_canonical",
    "synthetic_flip", "validate_joints", "y_up_to_canonical",
]
