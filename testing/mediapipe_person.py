"""A scripted MediaPipe person for extraction tests (no MediaPipe needed): 33 world landmarks in metres."""

from __future__ import annotations

import numpy as np

from generation.extract.landmarks import MEDIAPIPE33_NAMES

MP = {name: i for i, name in enumerate(MEDIAPIPE33_NAMES)}


def swinging_person(t: int) -> np.ndarray:
    """(33, 3) world landmarks of frame t: a standing person whose forearms swing forward (limb lengths constant)."""
    pts = np.zeros((33, 3))
    for side, x in (("left", 0.1), ("right", -0.1)):
        pts[MP[f"{side}_hip"]] = (x, 0.0, 0.0)
        pts[MP[f"{side}_knee"]] = (x, 0.42, 0.0)
        pts[MP[f"{side}_ankle"]] = (x, 0.82, 0.0)
        pts[MP[f"{side}_shoulder"]] = (1.8 * x, -0.5, 0.0)
        pts[MP[f"{side}_elbow"]] = (2.0 * x, -0.22, 0.0)
        angle = 0.05 * t
        pts[MP[f"{side}_wrist"]] = pts[MP[f"{side}_elbow"]] + 0.24 * np.array([0.0, np.cos(angle), -np.sin(angle)])
        pts[MP[f"{side}_ear"]] = (0.7 * x, -0.68, 0.0)
    return pts
