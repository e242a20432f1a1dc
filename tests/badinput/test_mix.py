"""Bad input to `autosynthda mix`: weights, methods, modes, pose files and outputs. One line naming the file or the
option, exit 2, no output file."""

from __future__ import annotations

import numpy as np
import pytest

from tests.badinput.conftest import canonical_with, good_clip, good_joints, text_file


def mix(*options: object, real=good_clip, other=None, out="mixed.npy"):
    def argv(tmp):
        real_file = real(tmp)
        other_file = other(tmp) if other is not None else good_clip(tmp, "other.npz")
        defaults = {"--weight": "0.5", "--mode": "real-real"}
        given = dict(zip(options[::2], options[1::2], strict=True))
        flags = [str(x) for pair in ({**defaults, **given}).items() for x in pair if pair[1] is not None]
        target = out(tmp) if callable(out) else tmp / out
        return ["mix", "--real", real_file, "--other", other_file, *flags, "--out", target]

    return argv


def nan_clip(tmp):
    joints = good_joints().copy()
    joints[2, 0, 0] = np.nan
    return canonical_with(tmp, "nan.npz", joints=joints)


F = "{tmp}/"
ROWS = {
    "weight-above-one": (mix("--weight", "1.5"), ("weight", "1.5")),
    "weight-negative": (mix("--weight", "-0.1"), ("weight", "-0.1")),
    "weight-nan": (mix("--weight", "nan"), ("weight",)),
    "weight-not-a-number": (mix("--weight", "half"), ("--weight",)),
    "weight-missing": (mix("--weight", None), ("--weight",)),
    "method-unknown": (mix("--method", "slerp"), ("method", "slerp")),
    "mode-unknown": (mix("--mode", "synth-synth"), ("mode", "synth-synth")),
    "real-missing": (mix(real=lambda tmp: tmp / "nothere.npz"), (F + "nothere.npz", "does not exist")),
    "other-missing": (mix(other=lambda tmp: tmp / "gone.npy"), (F + "gone.npy", "does not exist")),
    "real-nan": (mix(real=nan_clip), (F + "nan.npz", "joints", "non-finite")),
    "other-text": (mix(other=lambda tmp: text_file(tmp, "t.npy")), (F + "t.npy", "file")),
    "real-format-unknown": (mix("--real-format", "fbx"), ("format", "fbx")),
    "other-format-mismatch": (mix("--other-format", "bvh"), (F + "other.npz",)),
    "out-not-npy": (mix(out="mixed.npz"), (F + "mixed.npz", "--out", ".npy")),
    # issue 16, item 7: tracebacks before
    "out-an-existing-folder": (mix(out=lambda tmp: (tmp / "o.npy").mkdir() or tmp / "o.npy"),
                               (F + "o.npy", "--out", "folder")),
    "out-under-a-file": (mix(out=lambda tmp: text_file(tmp, "afile") / "m.npy"), (F + "afile/m.npy", "--out", "file")),
}

SUBPROCESS = ("weight-above-one", "out-an-existing-folder")


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_bad_mix_input_is_one_line_and_writes_nothing(kind, badinput):
    badinput.check(ROWS[kind])


@pytest.mark.parametrize("kind", SUBPROCESS)
def test_as_a_user_runs_it(kind, badinput):
    badinput.check_as_user(ROWS[kind])
