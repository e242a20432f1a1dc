"""The names of the choices that study configs and the command line offer, one Literal each, with no heavy import
behind them (the command line lists them in its help). The modules that implement a choice derive their tuples from
these, and a registry keyed by name is checked against its Literal in the tests."""

from __future__ import annotations

from typing import Literal, get_args

MixMode = Literal["real-synth", "real-real"]
BlendMethod = Literal["synthda", "convex", "bone_preserving"]
PoseFormat = Literal["auto", "canonical", "strided", "humanml3d", "smpl22-npy", "bvh", "deepmimic"]
FrameFormat = Literal["jpg", "png"]
Appearance = Literal["synthda", "randomized"]
Body = Literal["mannequin", "smpl"]
# Video studies: what synthetic clips sit on ("auto": what the appearance draws; "plates": the train videos' clean
# plates) and where they are seen from ("views": synthetic_views; "source": each clip's source video camera first).
Background = Literal["auto", "plates"]
CameraMode = Literal["views", "source"]


def names(choice: object) -> tuple[str, ...]:
    """The values of a choice Literal, in order."""
    return get_args(choice)
